using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Staff;

/// <summary>
/// On first start (no staff user yet) creates <c>admin</c> with the configured password, or a generated one
/// written owner-only next to the bootstrap API key. Runs after the startup initializer has migrated the store
/// (hosted services start in registration order).
/// </summary>
internal sealed partial class StaffBootstrap(
    StaffUsers users, PasswordHashGate hashing, StoragePaths paths, AuditLog audit, IOptions<AuthOptions> authOptions, TimeProvider time,
    ILogger<StaffBootstrap> logger) : IHostedService
{
    public const string Username = "admin";
    public const string PasswordFile = "bootstrap-admin.password";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await users.AnyAsync(cancellationToken))
        {
            return;
        }

        var password = authOptions.Value.BootstrapAdminPassword;
        string? writtenTo = null;
        if (string.IsNullOrWhiteSpace(password))
        {
            password = StaffUsers.NewSecret();
            writtenTo = Path.Combine(paths.DataDirectory, PasswordFile);
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using var file = new FileStream(writtenTo, options);
            await using var writer = new StreamWriter(file);
            await writer.WriteLineAsync(password);
        }

        var now = time.GetUtcNow();
        await users.CreateAsync(new StaffUser(Username, "Administrator", [StaffRoles.Admin], false, now, now), await hashing.RunAsync(() => StaffPasswords.Hash(password), cancellationToken), cancellationToken);
        await audit.WriteAsync("system", "staff.users.bootstrap", Username, writtenTo is null ? "password from Auth:BootstrapAdminPassword" : $"password written to {writtenTo}",
            cancellationToken);
        if (writtenTo is null)
        {
            LogConfigured(logger);
        }
        else
        {
            LogGenerated(logger, writtenTo);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap staff user 'admin' created with the password from Auth:BootstrapAdminPassword")]
    private static partial void LogConfigured(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No staff user existed: 'admin' was created with a generated password written to {Path} (owner-only). Sign in, create personal users, then delete the file.")]
    private static partial void LogGenerated(ILogger logger, string path);
}
