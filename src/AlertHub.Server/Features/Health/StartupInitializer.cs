using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Health;

/// <summary>
/// Runs every <see cref="IStartupStep"/> before the hub serves — the schema migration, the admin key, the areas (the demo
/// set on a fresh store) and the targeting index. /health stays 503 until this finishes.
/// </summary>
/// <remarks>
/// A node that starts while the database fails over (a restart policy bringing it back at that moment, or every node after
/// a power cut) waits the promotion out: a step that meets a passing failure (<see cref="IStoreFaults"/>) is run again, the
/// pause doubling from 0.5 s to 5 s, for up to <see cref="StoreWaitLimit"/>. Each step is safe to run again (migrations
/// run in transactions; the others load, or create what is missing). Before, the node gave up at once and the host exited.
/// </remarks>
internal sealed partial class StartupInitializer(IEnumerable<IStartupStep> steps, HealthState health, IStoreFaults storeFaults, TimeProvider time,
    ILogger<StartupInitializer> logger) : IHostedService
{
    /// <summary>A promotion takes seconds; a store away longer than this is an outage, and the node stops (its supervisor restarts it).</summary>
    internal static readonly TimeSpan StoreWaitLimit = TimeSpan.FromMinutes(2);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var started = time.GetTimestamp();
            foreach (var step in steps.OrderBy(s => s.Order))
            {
                for (var pause = TimeSpan.FromMilliseconds(500); ; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
                {
                    try
                    {
                        await step.RunAsync(cancellationToken);
                        break;
                    }
                    catch (Exception e) when (storeFaults.IsUnavailable(e) && time.GetElapsedTime(started) + pause < StoreWaitLimit
                        && !cancellationToken.IsCancellationRequested)
                    {
                        LogStoreUnavailable(logger, step.GetType().Name, e.GetBaseException().Message, pause.TotalSeconds);
                        await Task.Delay(pause, time, cancellationToken);
                    }
                }
            }

            health.MarkStoreReady();
            LogReady(logger);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            health.MarkStoreFailed(e.Message);
            LogFailed(logger, e);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting: the store is unavailable during {Step} ({Reason}); trying again in {Seconds:0.0} s")]
    private static partial void LogStoreUnavailable(ILogger logger, string step, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "AlertHub store ready")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "AlertHub could not open its store")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
