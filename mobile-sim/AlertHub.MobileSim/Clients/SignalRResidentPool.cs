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

    /// <param name="configure">Lets in-process tests swap the transport (e.g. a TestServer handler).</param>
    public async Task ConnectAllAsync(
        Uri hub,
        IReadOnlyList<SignalRResident> residents,
        int parallelism,
        TimeSpan perConnectionTimeout,
        Action<HttpConnectionOptions>? configure,
        CancellationToken cancellationToken)
    {
        var url = new Uri(hub, "hubs/alerts");
        await Parallel.ForEachAsync(
            residents,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (resident, ct) =>
            {
                var connection = new HubConnectionBuilder()
                    .WithUrl(url, options =>
                    {
                        // Straight to WebSockets: skipping /negotiate halves the handshakes for thousands of clients.
                        options.Transports = HttpTransportType.WebSockets;
                        options.SkipNegotiation = true;
                        configure?.Invoke(options);
                    })
                    .WithAutomaticReconnect()
                    .Build();

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
                _connections.Add(connection);

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(perConnectionTimeout);
                try
                {
                    await connection.StartAsync(timeout.Token);
                    await connection.InvokeAsync("Subscribe", resident.ResidentId, resident.Token, timeout.Token);
                    Interlocked.Increment(ref _connected);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref _failed) <= 5)
                    {
                        SimLog.SignalRConnectFailed(_logger, resident.ExternalId, ex.Message);
                    }
                }
            });
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
