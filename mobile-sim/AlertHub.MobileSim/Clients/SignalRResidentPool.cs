using System.Collections.Concurrent;
using System.Text.Json;
using AlertHub.MobileSim.Peers;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.MobileSim.Clients;

/// <summary>A registered SignalR resident: the hub's id and token plus the sim's external id.</summary>
internal sealed record SignalRResident(string ExternalId, string ResidentId, string Token);

/// <summary>
/// Simulated phones holding a SignalR connection each. Connecting is throttled (default 64 at a time) so a
/// 2-core machine and the hub are not hit by thousands of simultaneous WebSocket handshakes.
/// </summary>
internal sealed partial class SignalRResidentPool : IAsyncDisposable
{
    private readonly ConcurrentBag<HubConnection> _connections = [];
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private IReadOnlyList<Uri> _hubs = [];
    private Action<HttpConnectionOptions>? _configure;
    private TimeSpan _perConnectionTimeout = TimeSpan.FromSeconds(30);
    private int _failedOver;
    private volatile bool _stopping;
    private int _connected;
    private int _failed;

    public SignalRResidentPool(ReceiptLog log, TimeProvider time, ILogger logger)
    {
        _log = log;
        _time = time;
        _logger = logger;
    }

    public int Connected => Volatile.Read(ref _connected);
    public int Failed => Volatile.Read(ref _failed);

    /// <param name="hubs">One hub, or the nodes of a cluster: residents are spread over them in turn, and a client whose node
    /// stops answering reconnects to the next node and subscribes again (what a load balancer in front of the nodes does).</param>
    /// <param name="configure">Lets in-process tests swap the transport (e.g. a TestServer handler).</param>
    public async Task ConnectAllAsync(
        IReadOnlyList<Uri> hubs,
        IReadOnlyList<SignalRResident> residents,
        int parallelism,
        TimeSpan perConnectionTimeout,
        Action<HttpConnectionOptions>? configure,
        CancellationToken cancellationToken)
    {
        _hubs = hubs;
        _configure = configure;
        _perConnectionTimeout = perConnectionTimeout;
        await Parallel.ForEachAsync(
            residents.Select((resident, index) => (resident, index)),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (r, ct) =>
            {
                try
                {
                    await ConnectAsync(r.resident, r.index % hubs.Count, ct);
                    Interlocked.Increment(ref _connected);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref _failed) <= 5)
                    {
                        SimLog.SignalRConnectFailed(_logger, r.resident.ExternalId, ex.Message);
                    }
                }
            });
    }

    public Task ConnectAllAsync(Uri hub, IReadOnlyList<SignalRResident> residents, int parallelism, TimeSpan perConnectionTimeout,
        Action<HttpConnectionOptions>? configure, CancellationToken cancellationToken) =>
        ConnectAllAsync([hub], residents, parallelism, perConnectionTimeout, configure, cancellationToken);

    /// <summary>Clients that moved to another node after theirs stopped answering.</summary>
    public int FailedOver => Volatile.Read(ref _failedOver);

    private async Task ConnectAsync(SignalRResident resident, int node, CancellationToken ct)
    {
        var cluster = _hubs.Count > 1;
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(_hubs[node], "hubs/alerts"), options =>
            {
                // Straight to WebSockets: skipping /negotiate halves the handshakes for thousands of clients.
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                _configure?.Invoke(options);
            });
        // One hub: keep retrying it (it may be restarting). A cluster: two quick tries, then the next node.
        var connection = (cluster ? builder.WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromSeconds(1)]) : builder.WithAutomaticReconnect()).Build();
        connection.On<JsonElement>("alert", alert => OnAlert(resident.ExternalId, alert));
        connection.Reconnected += async _ =>
        {
            try
            {
                await connection.InvokeAsync("Subscribe", resident.ResidentId, resident.Token);
            }
            catch (Exception ex)
            {
                SimLog.ResubscribeFailed(_logger, resident.ExternalId, ex.Message);
            }
        };
        if (cluster)
        {
            connection.Closed += error =>
            {
                if (!_stopping)
                {
                    _ = Task.Run(() => FailOverAsync(resident, node));
                }

                return Task.CompletedTask;
            };
        }

        _connections.Add(connection);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_perConnectionTimeout);
        await connection.StartAsync(timeout.Token);
        await connection.InvokeAsync("Subscribe", resident.ResidentId, resident.Token, timeout.Token);
    }

    /// <summary>Tries each other node once, in order, until one takes the client.</summary>
    private async Task FailOverAsync(SignalRResident resident, int from)
    {
        for (var step = 1; step < _hubs.Count && !_stopping; step++)
        {
            try
            {
                await ConnectAsync(resident, (from + step) % _hubs.Count, CancellationToken.None);
                Interlocked.Increment(ref _failedOver);
                return;
            }
            catch (Exception ex)
            {
                SimLog.ResubscribeFailed(_logger, resident.ExternalId, ex.Message);
            }
        }
    }

    private void OnAlert(string externalId, JsonElement alert)
    {
        var arrived = _time.GetTimestamp();
        if (AlertPayload.TryReadAlert(alert, out var alertId, out var version))
        {
            _log.Add(new Receipt(externalId, SimChannels.SignalR, alertId, version, arrived,
                alert.TryGetProperty("idempotencyKey", out var key) ? key.GetString() : null));
        }
        else
        {
            _log.MalformedPayload();
        }
    }

    /// <summary>Stops every connection, at most <paramref name="timeout"/> in total.</summary>
    public async Task StopAllAsync(TimeSpan timeout)
    {
        _stopping = true;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Parallel.ForEachAsync(
                _connections,
                new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token },
                async (connection, _) => await connection.DisposeAsync());
            _connections.Clear();
        }
        catch (OperationCanceledException)
        {
            SimLog.StopTimedOut(_logger, timeout.TotalSeconds);
        }
    }

    public async ValueTask DisposeAsync() => await StopAllAsync(TimeSpan.FromSeconds(20));
}
