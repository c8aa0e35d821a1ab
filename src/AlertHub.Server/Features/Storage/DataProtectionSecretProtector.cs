using System.Security.Cryptography;
using AlertHub.Core.Storage;
using Microsoft.AspNetCore.DataProtection;

namespace AlertHub.Server.Features.Storage;

/// <summary>
/// <see cref="ISecretProtector"/> on ASP.NET Core Data Protection (AES-256-CBC + HMACSHA256, keys rotated every 90 days and kept
/// to read older values): the key ring lives with the hub (<c>{DataDirectory}/data-protection-keys</c>, as for staff cookies), so
/// a copy of the database alone does not reveal the secrets. Hubs that share one database must share the key ring too.
/// </summary>
internal sealed partial class DataProtectionSecretProtector(IDataProtectionProvider provider, ILogger<DataProtectionSecretProtector> logger)
    : ISecretProtector
{
    // Marks a protected value, so that values stored before protection existed still read as they are.
    private const string Marker = "dp1:";

    private readonly IDataProtector _protector = provider.CreateProtector("AlertHub.Storage.Secrets");

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
        catch (CryptographicException e)
        {
            LogUnreadable(logger, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "A stored secret (camera password) cannot be decrypted: {Reason}. The data-protection key ring is not the one it was stored with; enter it again")]
    private static partial void LogUnreadable(ILogger logger, string reason);
}
