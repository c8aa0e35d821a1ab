using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>
/// RFC 8292 VAPID: the application server key pair and the <c>Authorization: vapid t=…, k=…</c> header.
/// Keys come from configuration or, when absent, are generated once and kept in the data directory so that
/// browser subscriptions (bound to this key) survive restarts. One ES256 JWT per push-service origin is
/// signed and reused for half its lifetime.
/// </summary>
internal sealed partial class VapidSigner : IDisposable
{
    private static readonly string JwtHeader = Base64Url.EncodeToString("""{"typ":"JWT","alg":"ES256"}"""u8);

    private readonly ECDsa _key;
    private readonly Lock _signLock = new();
    private readonly ConcurrentDictionary<string, (string Header, long RenewAt)> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly string _subject;
    private readonly TimeSpan _lifetime;

    public VapidSigner(IOptions<WebPushChannelOptions> options, IOptions<HubOptions> hub, StoragePaths paths, TimeProvider time, ILogger<VapidSigner> logger)
    {
        var o = options.Value;
        _time = time;
        _subject = string.IsNullOrWhiteSpace(o.Subject) ? hub.Value.PublicBaseUrl : o.Subject;
        _lifetime = o.VapidTokenLifetime;
        if (_lifetime <= TimeSpan.Zero || _lifetime > TimeSpan.FromHours(24))
        {
            throw new InvalidOperationException("Channels:WebPush:VapidTokenLifetime must be more than 0 and at most 24 h (RFC 8292).");
        }

        if (!string.IsNullOrWhiteSpace(o.VapidPrivateKey))
        {
            _key = FromPrivateKey(o.VapidPrivateKey, "Channels:WebPush:VapidPrivateKey");
            if (!string.IsNullOrWhiteSpace(o.VapidPublicKey) && o.VapidPublicKey.TrimEnd('=') != PublicKeyOf(_key))
            {
                _key.Dispose();
                throw new InvalidOperationException("Channels:WebPush:VapidPublicKey does not belong to Channels:WebPush:VapidPrivateKey.");
            }

            LogConfiguredKey(logger);
        }
        else if (!string.IsNullOrWhiteSpace(o.VapidPublicKey))
        {
            throw new InvalidOperationException("Channels:WebPush:VapidPublicKey is set without Channels:WebPush:VapidPrivateKey.");
        }
        else
        {
            var path = paths.Resolve(o.VapidKeyFile);
            _key = LoadOrCreate(path, out var created);
            if (created)
            {
                LogGeneratedKey(logger, path);
            }
            else
            {
                LogLoadedKey(logger, path);
            }
        }

        PublicKey = PublicKeyOf(_key);
    }

    /// <summary>The application server key browsers pass to <c>pushManager.subscribe</c>: base64url uncompressed point.</summary>
    public string PublicKey { get; }

    /// <summary>The Authorization header value for a push endpoint (its origin is the JWT audience).</summary>
    public string AuthorizationFor(Uri endpoint)
    {
        var audience = endpoint.GetLeftPart(UriPartial.Authority);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (_tokens.TryGetValue(audience, out var cached) && now < cached.RenewAt)
        {
            return cached.Header;
        }

        var lifetime = (long)_lifetime.TotalSeconds;
        var claims = JsonSerializer.SerializeToUtf8Bytes(new VapidClaims(audience, now + lifetime, _subject), VapidJsonContext.Default.VapidClaims);
        var signingInput = JwtHeader + "." + Base64Url.EncodeToString(claims);
        byte[] signature;
        lock (_signLock)
        {
            // IEEE P1363 r||s, which is what JWS ES256 wants.
            signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        }

        var header = $"vapid t={signingInput}.{Base64Url.EncodeToString(signature)}, k={PublicKey}";
        _tokens[audience] = (header, now + (lifetime / 2));
        return header;
    }

    public void Dispose() => _key.Dispose();

    private static string PublicKeyOf(ECDsa key) => Base64Url.EncodeToString(WebPushEncryption.ExportPoint(key));

    private static ECDsa FromPrivateKey(string base64Url, string what)
    {
        byte[] d;
        try
        {
            d = Base64Url.DecodeFromChars(base64Url.TrimEnd('='));
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"{what} is not base64url.", e);
        }

        if (d.Length != 32)
        {
            throw new InvalidOperationException($"{what} must be a 32-byte P-256 private key (base64url).");
        }

        try
        {
            // Only D: the platform derives the public point.
            return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"{what} is not a valid P-256 private key.", e);
        }
    }

    private static ECDsa LoadOrCreate(string path, out bool created)
    {
        created = false;
        if (!File.Exists(path))
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var stored = new StoredVapidKeys(PublicKeyOf(key), Base64Url.EncodeToString(key.ExportParameters(true).D!));
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using (var file = new FileStream(path, fileOptions))
                {
                    JsonSerializer.Serialize(file, stored, VapidJsonContext.Default.StoredVapidKeys);
                    file.Flush(flushToDisk: true);
                }

                created = true;
                return key;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
                key.Dispose();
            }
        }

        var loaded = JsonSerializer.Deserialize(File.ReadAllBytes(path), VapidJsonContext.Default.StoredVapidKeys)
            ?? throw new InvalidOperationException($"{path} is empty.");
        var result = FromPrivateKey(loaded.PrivateKey, path);
        if (PublicKeyOf(result) != loaded.PublicKey)
        {
            result.Dispose();
            throw new InvalidOperationException($"{path}: the public key does not match the private key.");
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Web Push: VAPID key from configuration")]
    private static partial void LogConfiguredKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web Push: generated a VAPID key pair and saved it to {Path}; keep this file, browser subscriptions are bound to it")]
    private static partial void LogGeneratedKey(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Web Push: VAPID key loaded from {Path}")]
    private static partial void LogLoadedKey(ILogger logger, string path);
}

internal sealed record VapidClaims(
    [property: JsonPropertyName("aud")] string Aud,
    [property: JsonPropertyName("exp")] long Exp,
    [property: JsonPropertyName("sub")] string Sub);

internal sealed record StoredVapidKeys(
    [property: JsonPropertyName("publicKey")] string PublicKey,
    [property: JsonPropertyName("privateKey")] string PrivateKey);

/// <summary>The endpoint secret column of a Web Push subscription.</summary>
internal sealed record StoredSubscriptionKeys(
    [property: JsonPropertyName("p256dh")] string P256dh,
    [property: JsonPropertyName("auth")] string Auth);

[JsonSerializable(typeof(VapidClaims))]
[JsonSerializable(typeof(StoredSubscriptionKeys))]
[JsonSerializable(typeof(StoredVapidKeys))]
internal sealed partial class VapidJsonContext : JsonSerializerContext;
