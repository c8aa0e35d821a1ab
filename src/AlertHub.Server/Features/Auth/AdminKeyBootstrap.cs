using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Auth;

/// <summary>
/// A startup step: make sure an admin key exists (<c>Auth:BootstrapAdminKey</c>, or a generated one written to
/// <c>&lt;data&gt;/bootstrap-admin.key</c>), then load the keys.
/// </summary>
internal sealed partial class AdminKeyBootstrap(ApiKeys keys, StoragePaths paths, IOptions<AuthOptions> authOptions, ILogger<AdminKeyBootstrap> logger)
    : IStartupStep
{
    public const string BootstrapKeyFile = "bootstrap-admin.key";

    public int Order => 100;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await EnsureAdminKeyAsync(cancellationToken);
        await keys.LoadAsync(cancellationToken);
    }

    private async Task EnsureAdminKeyAsync(CancellationToken cancellationToken)
    {
        if (await keys.AnyAsync(cancellationToken))
        {
            return;
        }

        var configured = authOptions.Value.BootstrapAdminKey;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await keys.CreateAsync("bootstrap-admin", StaffRoles.Admin, configured, cancellationToken);
            LogBootstrapConfigured(logger);
            return;
        }

        var generated = ApiKeys.NewKey();
        var path = Path.Combine(paths.DataDirectory, BootstrapKeyFile);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(path, options))
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteLineAsync(generated);
        }

        await keys.CreateAsync("bootstrap-admin", StaffRoles.Admin, generated, cancellationToken);
        LogBootstrapGenerated(logger, path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap admin key created from configuration Auth:BootstrapAdminKey")]
    private static partial void LogBootstrapConfigured(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No staff key existed: a bootstrap admin key was generated and written to {Path} (owner-only). Use it as X-Api-Key, create personal keys, then delete the file.")]
    private static partial void LogBootstrapGenerated(ILogger logger, string path);
}
