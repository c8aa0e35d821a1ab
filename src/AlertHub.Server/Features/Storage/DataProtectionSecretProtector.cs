using System.Security.Cryptography;
using AlertHub.Core.Storage;
using Microsoft.AspNetCore.DataProtection;

namespace AlertHub.Server.Features.Storage;

/// <summary>
/// <see cref="ISecretProtector"/> on ASP.NET Core Data Protection (AES-256-CBC + HMACSHA256, keys rotated every 90 days and kept
/// to read older values): the key ring lives with the hub (<c>{DataDirectory}/data-protection-keys</c>, as for staff cookies), so
/// a copy of the database alone does not reveal the secrets. Hubs that share one database must share the key ring too.
/// </summary>
internal sealed partial class DataProtectionSecretProtector(IDataProtectionProvider provider, ILogger<DataProtectionSecretProtector> logger,
    LegacyKeyRing? legacy = null) : ISecretProtector
{
    // Marks a protected value, so that values stored before protection existed still read as they are.
    private const string Marker = "dp1:";

    private const string Purpose = "AlertHub.Storage.Secrets";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    private readonly IDataProtector? _legacy = legacy?.CreateProtector(Purpose);

    public string Protect(string plaintext) => Marker + _protector.Protect(plaintext);

    public bool IsProtected(string stored) => stored.StartsWith(Marker, StringComparison.Ordinal);

    public string? Unprotect(string stored)
    {
        if (!IsProtected(stored))
        {
            return stored;
        }

        try
        {
            return _protector.Unprotect(stored[Marker.Length..]);
        }
        catch (CryptographicException) when (_legacy is not null && TryLegacy(stored[Marker.Length..]) is { } plaintext)
        {
            return plaintext;
        }
        catch (CryptographicException e)
        {
            LogUnreadable(logger, e.Message);
            return null;
        }
    }

    private string? TryLegacy(string payload)
    {
        try
        {
            return _legacy!.Unprotect(payload);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "A stored secret (camera password) cannot be decrypted: {Reason}. The data-protection key ring is not the one it was stored with; enter it again")]
    private static partial void LogUnreadable(ILogger logger, string reason);
}

/// <summary>
/// The key ring a PostgreSQL hub used before its keys moved into the database (or a SQLite hub's, copied by migrate-store): the
/// data directory's key files under ASP.NET Core's default application name. Secrets stored then still read; nothing new is
/// protected with it.
/// </summary>
internal sealed class LegacyKeyRing(string keyDirectory, string? applicationName)
{
    private readonly Lazy<IDataProtectionProvider?> _provider = new(() =>
    {
        var directory = new DirectoryInfo(keyDirectory);
        // Without key files there is nothing to read, and creating the provider would write a new key there.
        return applicationName is null || !directory.Exists || !directory.EnumerateFiles("key-*.xml").Any()
            ? null
            : DataProtectionProvider.Create(directory, b => b.SetApplicationName(applicationName));
    });

    public IDataProtector? CreateProtector(string purpose) => _provider.Value?.CreateProtector(purpose);
}
