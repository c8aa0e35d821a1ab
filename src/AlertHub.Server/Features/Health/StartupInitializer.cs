namespace AlertHub.Server.Features.Health;

/// <summary>
/// Runs every <see cref="IStartupStep"/> before the hub serves — the schema migration, the admin key, the areas (the demo
/// set on a fresh store) and the targeting index. /health stays 503 until this finishes.
/// </summary>
internal sealed partial class StartupInitializer(IEnumerable<IStartupStep> steps, HealthState health, ILogger<StartupInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var step in steps.OrderBy(s => s.Order))
            {
                await step.RunAsync(cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "AlertHub store ready")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "AlertHub could not open its store")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
