using AlertHub.Server.Features.Health;

namespace AlertHub.Server.Features.Storage;

/// <summary>The first startup step: apply pending schema migrations.</summary>
internal sealed partial class StoreStartup(Database database, ILogger<StoreStartup> logger) : IStartupStep
{
    public int Order => 0;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await database.MigrateAsync(cancellationToken);
        LogOpened(logger, database.FilePath);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "AlertHub store opened at {Path}")]
    private static partial void LogOpened(ILogger logger, string path);
}
