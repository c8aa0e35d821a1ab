using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using AlertHub.MobileSim.Peers;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Clients;

/// <summary>A registered SignalR resident: the hub's id and token plus the sim's external id.</summary>
internal sealed record SignalRResident(string ExternalId, string ResidentId, string Token);

/// <summary>
/// Simulated phones holding a SignalR connection each (<see cref="SignalRResidentSocket"/>). Connecting is throttled
/// (default 64 at a time) so a 2-core machine and the hub are not hit by thousands of simultaneous WebSocket handshakes.
/// A client whose connection ends reconnects as the SignalR clients' automatic reconnect does: to a single hub after
/// 0, 2, 10 and 30 s (it may be restarting); in a cluster twice to its node, then once to each other node in turn
/// (what a load balancer in front of the nodes does). Either way it subscribes again, and then reads its inbox as the
/// resident page does: an alert sent while it was away, or handed to a node that died before the bytes left, is there
/// (<see cref="ReceiptLog.AddFromInbox"/>; SignalR itself keeps nothing).
/// </summary>
internal sealed partial class SignalRResidentPool : IAsyncDisposable
{
    private static readonly TimeSpan[] SingleHubRetries = [TimeSpan.Zero, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)];
    private static readonly TimeSpan[] ClusterNodeRetries = [TimeSpan.Zero, TimeSpan.FromSeconds(1)];

    /// <summary>How often each client pings: the hub's KeepAliveInterval default, half its ClientTimeoutInterval.</summary>
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);

    private readonly ConcurrentBag<SignalRResidentSocket> _clients = [];
    private readonly ConcurrentBag<Task> _lives = [];
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _inbox;
    private IReadOnlyList<Uri> _hubs = [];
    private OpenSignalRSocket _open = OpenClientWebSocketAsync;
    private Action? _connecting;
    private TimeSpan _perConnectionTimeout = TimeSpan.FromSeconds(30);
    private Task? _pings;
    private int _failedOver;
    private int _connected;
    private int _failed;

    /// <param name="hubHandler">Sends the inbox reads (in-process tests: TestServer's handler); null: loopback HTTP.</param>
    public SignalRResidentPool(ReceiptLog log, TimeProvider time, ILogger logger, HttpMessageHandler? hubHandler = null)
    {
        _log = log;
        _time = time;
        _logger = logger;
        // Thousands of clients reconnect within a second when a node dies; a phone each would have its own connection,
        // but on one machine they share a bounded pool and the rest wait their turn (counted in their latency). In a
        // 3-node kill run 512 were slower than 64, one run each: the surviving hubs, not this pool, set the pace.
        _inbox = hubHandler is null
            ? new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
            : new HttpClient(hubHandler, disposeHandler: false);
    }

    public int Connected => Volatile.Read(ref _connected);
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Clients that moved to another node after theirs stopped answering.</summary>
    public int FailedOver => Volatile.Read(ref _failedOver);

    /// <param name="hubs">One hub, or the nodes of a cluster: residents are spread over them in turn.</param>
    /// <param name="open">Opens each WebSocket; null: a <see cref="ClientWebSocket"/> (in-process tests pass TestServer's).</param>
    /// <param name="connecting">Called as each client starts connecting (the progress bar).</param>
    public async Task ConnectAllAsync(
        IReadOnlyList<Uri> hubs,
        IReadOnlyList<SignalRResident> residents,
        int parallelism,
        TimeSpan perConnectionTimeout,
        OpenSignalRSocket? open,
        Action? connecting,
        CancellationToken cancellationToken)
    {
        _hubs = hubs;
        _open = open ?? OpenClientWebSocketAsync;
        _connecting = connecting;
        _perConnectionTimeout = perConnectionTimeout;
        _pings ??= Task.Run(PingLoopAsync, CancellationToken.None);
        await Parallel.ForEachAsync(
            residents.Select((resident, index) => (resident, index)),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (r, ct) =>
            {
                var client = new SignalRResidentSocket(r.resident, _log, _time);
                try
                {
                    await ConnectAsync(client, r.index % hubs.Count, ct);
                    _clients.Add(client);
                    Interlocked.Increment(ref _connected);
                    _lives.Add(Task.Run(() => KeepConnectedAsync(client), CancellationToken.None));
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    client.Dispose();
                    if (Interlocked.Increment(ref _failed) <= 5)
                    {
                        SimLog.SignalRConnectFailed(_logger, r.resident.ExternalId, ex.Message);
                    }
                }
            });
    }

    private async Task ConnectAsync(SignalRResidentSocket client, int node, CancellationToken ct)
    {
        _connecting?.Invoke();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        timeout.CancelAfter(_perConnectionTimeout);
        await client.ConnectAsync(_hubs[node], node, _open, timeout.Token);
    }

    /// <summary>Waits for the client's connection to end, then reconnects it (see the class summary) until the pool stops.</summary>
    private async Task KeepConnectedAsync(SignalRResidentSocket client)
    {
        while (true)
        {
            await client.Closed;
            if (_stop.IsCancellationRequested || !await ReconnectAsync(client))
            {
                return;
            }

            await ReadInboxAsync(client);
        }
    }

    /// <summary>
    /// GET <c>/api/residents/{id}/inbox</c> on the node the client is connected to now, with its token, as resident.js does
    /// once it has subscribed again. Every alert listed is logged as read from the inbox (not as a push receipt).
    /// </summary>
    private async Task ReadInboxAsync(SignalRResidentSocket client)
    {
        var resident = client.Resident;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_perConnectionTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_hubs[client.Node], $"api/residents/{resident.ResidentId}/inbox"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", resident.Token);
            using var response = await _inbox.SendAsync(request, timeout.Token);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            var read = _time.GetTimestamp();
            using var inbox = JsonDocument.Parse(body);
            foreach (var item in inbox.RootElement.EnumerateArray())
            {
                // An inbox item names its alert as pushes do (alertId, version).
                if (AlertPayload.TryReadAlert(item, out var alertId, out var version))
                {
                    _log.AddFromInbox(new Receipt(resident.ExternalId, SimChannels.SignalR, alertId, version, read));
                }
                else
                {
                    _log.MalformedPayload();
                }
            }
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            _log.InboxReadFailed();
            if (_log.InboxReadsFailed <= 5)
            {
                SimLog.InboxReadFailed(_logger, resident.ExternalId, e.Message);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<bool> ReconnectAsync(SignalRResidentSocket client)
    {
        var cluster = _hubs.Count > 1;
        var home = client.Node;
        string? reason = null;
        foreach (var delay in cluster ? ClusterNodeRetries : SingleHubRetries)
        {
            if (await TryAsync(home, delay))
            {
                return true;
            }
        }

        for (var step = 1; cluster && step < _hubs.Count; step++)
        {
            if (await TryAsync((home + step) % _hubs.Count, TimeSpan.Zero))
            {
                Interlocked.Increment(ref _failedOver);
                return true;
            }
        }

        SimLog.ResubscribeFailed(_logger, client.Resident.ExternalId, reason ?? "no hub took the connection");
        return false;

        async Task<bool> TryAsync(int node, TimeSpan wait)
        {
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, _stop.Token);
                }

                await ConnectAsync(client, node, CancellationToken.None);
                return true;
            }
            catch (Exception e)
            {
                // A stop ends the attempts quietly; anything else is the reason reported if every node refuses.
                reason = _stop.IsCancellationRequested ? reason : e.Message;
                return false;
            }
        }
    }

    private async Task PingLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(PingInterval, _time, _stop.Token);
                foreach (var client in _clients)
                {
                    await client.PingAsync(_stop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<WebSocket> OpenClientWebSocketAsync(Uri url, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        // The hub protocol's own pings keep the connection; no WebSocket-level timer per client.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            var ws = new UriBuilder(url) { Scheme = url.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
            await socket.ConnectAsync(ws, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops every connection, at most <paramref name="timeout"/> in total.</summary>
    public async Task StopAllAsync(TimeSpan timeout)
    {
        await _stop.CancelAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Parallel.ForEachAsync(
                _clients,
                new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token },
                async (client, ct) =>
                {
                    await client.CloseAsync(ct);
                    client.Dispose();
                });
            _clients.Clear();
            await Task.WhenAll(_lives).WaitAsync(cts.Token);
            if (_pings is { } pings)
            {
                await pings.WaitAsync(cts.Token);
            }
        }
        catch (OperationCanceledException)
        {
            SimLog.StopTimedOut(_logger, timeout.TotalSeconds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync(TimeSpan.FromSeconds(20));
        _stop.Dispose();
        _inbox.Dispose();
    }
}
