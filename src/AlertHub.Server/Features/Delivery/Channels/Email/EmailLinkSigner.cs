using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

internal enum EmailLinkPurpose
{
    Confirm,
    Unsubscribe,
}

internal enum TokenCheck
{
    Valid,
    Malformed,
    Forged,
    Expired,
}

/// <summary>
/// Signs the links in e-mails: <c>{endpointId}.{expiresUnix}.{base64url HMAC-SHA256(key, purpose|id|expires|address)}</c>
/// (expires 0 = never; unsubscribe links must keep working). The address is signed but not carried, so a link
/// stops working when the id is reused for another address, and the link reveals nothing about the owner.
/// </summary>
internal sealed class EmailLinkSigner
{
    public const string KeyFile = "email-link.key";

    private readonly byte[] _key;

    public EmailLinkSigner(byte[] key)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("The link signing key must be at least 32 bytes.", nameof(key));
        }

        _key = key;
    }

    /// <summary>The configured key, or the one kept in the data directory (created on first use).</summary>
    public static EmailLinkSigner Create(IOptions<EmailChannelOptions> options, StoragePaths paths)
    {
        if (!string.IsNullOrWhiteSpace(options.Value.LinkSigningKey))
        {
            return new EmailLinkSigner(Convert.FromBase64String(options.Value.LinkSigningKey));
        }

        var path = Path.Combine(paths.DataDirectory, KeyFile);
        if (File.Exists(path))
        {
            return new EmailLinkSigner(Convert.FromBase64String(File.ReadAllText(path).Trim()));
        }

        var key = RandomNumberGenerator.GetBytes(32);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var file = new FileStream(path, fileOptions);
            file.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            return new EmailLinkSigner(key);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
            return new EmailLinkSigner(Convert.FromBase64String(File.ReadAllText(path).Trim()));
        }
    }

    public string Sign(EmailLinkPurpose purpose, long endpointId, string address, DateTimeOffset? expires)
    {
        var exp = expires?.ToUnixTimeSeconds() ?? 0;
        return string.Create(CultureInfo.InvariantCulture, $"{endpointId}.{exp}.{Mac(purpose, endpointId, exp, address)}");
    }

    /// <summary>Reads the endpoint id without trusting it (the address to check the MAC against is looked up by id).</summary>
    public static bool TryReadEndpointId(string? token, out long endpointId)
    {
        endpointId = 0;
        var parts = token?.Split('.');
        return parts is { Length: 3 } && parts[2].Length is > 0 and <= 64
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out endpointId) && endpointId > 0
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    public TokenCheck Verify(EmailLinkPurpose purpose, string? token, string address, DateTimeOffset now)
    {
        if (!TryReadEndpointId(token, out var endpointId))
        {
            return TokenCheck.Malformed;
        }

        var parts = token!.Split('.');
        var exp = long.Parse(parts[1], CultureInfo.InvariantCulture);
        var expected = Encoding.ASCII.GetBytes(Mac(purpose, endpointId, exp, address));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])))
        {
            return TokenCheck.Forged;
        }

        return exp != 0 && now.ToUnixTimeSeconds() > exp ? TokenCheck.Expired : TokenCheck.Valid;
    }

    private string Mac(EmailLinkPurpose purpose, long endpointId, long exp, string address)
    {
        var data = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"alerthub-email|{purpose}|{endpointId}|{exp}|{address}"));
        return Base64Url.EncodeToString(HMACSHA256.HashData(_key, data));
    }
}
