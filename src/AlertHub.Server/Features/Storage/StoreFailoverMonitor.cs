using AlertHub.Core.Storage;
using AlertHub.Server.Features.Health;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Storage;

/// <summary>
/// On a database server that can fail over, asks every <see cref="StorageOptions.ProbeInterval"/> which server the hub
/// reaches and whether it takes writes. While it cannot be reached or is read-only, /health says the store is failing
/// over (degraded, component <c>store</c>); a new primary is logged. The hub keeps serving meanwhile: reads work, and
/// writes answer 503 <c>store.unavailable</c> with Retry-After.
/// </summary>
internal sealed partial class StoreFailoverMonitor(
    IStoreProbe probe,
    IStoreFaults faults,
    HealthState health,
    IOptions<StorageOptions> options,
    TimeProvider time,
    ILogger<StoreFailoverMonitor> logger) : BackgroundService
{
    private string? _primary;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            await CheckAsync(stoppingToken);
            try
            {
                await Task.Delay(options.Value.ProbeInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var server = await probe.ProbeAsync(cancellationToken);
            if (!server.Writable)
            {
                health.SetDegraded(HealthState.StoreFailingOver, $"failing over: {server.Address} answers but is read-only (a standby, or a primary still being promoted)");
                return;
            }

            health.ClearDegraded(HealthState.StoreFailingOver);
            if (_primary is not null && _primary != server.Address)
            {
                LogNewPrimary(logger, server.Address, _primary);
            }

            _primary = server.Address;
        }
        catch (Exception e) when (faults.IsUnavailable(e))
        {
            health.SetDegraded(HealthState.StoreFailingOver, $"failing over: the database cannot be reached ({e.Message})");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogProbeFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database primary is now {Primary} (was {Previous})")]
    private static partial void LogNewPrimary(ILogger logger, string primary, string previous);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Probing the database failed")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception);
}
