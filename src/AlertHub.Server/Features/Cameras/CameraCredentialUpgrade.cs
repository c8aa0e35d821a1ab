using AlertHub.Core.Storage;
using AlertHub.Server.Features.Health;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// At start, encrypts camera passwords that a hub from before their protection stored in plain text, so that an upgraded hub's
/// database holds none either (right after the schema step, before any camera worker reads them).
/// </summary>
internal sealed partial class CameraCredentialUpgrade(ICameraStore store, ILogger<CameraCredentialUpgrade> logger) : IStartupStep
{
    public int Order => 10;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var count = await store.ProtectLegacyCredentialsAsync(cancellationToken);
        if (count > 0)
        {
            LogProtected(logger, count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Encrypted {Count} camera password(s) stored in plain text by an earlier version")]
    private static partial void LogProtected(ILogger logger, int count);
}
