using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertHub.Core.Crypto;

namespace AlertHub.MobileSim.Peers.WebPush;

/// <summary>
/// The user agent's side of RFC 8291: decrypts an <c>aes128gcm</c> (RFC 8188) push message with the
/// subscription's private key and auth secret. Written separately from the hub's encoder so the two check
/// each other.
/// </summary>
internal static class PushDecryptor
{
    private static readonly byte[] KeyInfo = Encoding.ASCII.GetBytes("WebPush: info\0");
    private static readonly byte[] CekInfo = Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0");
    private static readonly byte[] NonceInfo = Encoding.ASCII.GetBytes("Content-Encoding: nonce\0");

    /// <summary>Decrypts with the subscription's private key (raw scalar and public point) and auth secret.</summary>
    /// <exception cref="CryptographicException">The body is not a valid single-record aes128gcm message for this key.</exception>
    public static byte[] Decrypt(ReadOnlySpan<byte> body, byte[] uaPrivate, byte[] uaPublic, byte[] auth)
    {
        if (body.Length < 21)
        {
            throw new CryptographicException("aes128gcm header truncated");
        }

        var salt = body[..16];
        var rs = BinaryPrimitives.ReadUInt32BigEndian(body[16..20]);
        int idLength = body[20];
        if (idLength != 65 || body.Length < 21 + idLength + 17)
        {
            throw new CryptographicException("keyid must be the 65-byte application server public key");
        }

        var asPublic = body.Slice(21, 65).ToArray();
        var record = body[(21 + idLength)..];
        if (rs < 18 || record.Length > rs)
        {
            throw new CryptographicException("a push message must be one record no longer than rs");
        }

        if (asPublic[0] != 4)
        {
            throw new CryptographicException("keyid is not an uncompressed point");
        }

        // The point arithmetic is shared with the hub (libcrypto, checked against .NET's in unit tests); the key
        // schedule and record handling below are this side's own, so they still check the hub's.
        var secret = new byte[P256KeyAgreement.SecretLength];
        P256KeyAgreement.Default.Agree(uaPrivate, uaPublic, asPublic, secret);

        var info = new byte[KeyInfo.Length + 130];
        KeyInfo.CopyTo(info, 0);
        uaPublic.CopyTo(info, KeyInfo.Length);
        asPublic.CopyTo(info, KeyInfo.Length + 65);
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, auth, info);
        var prk = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt.ToArray());
        var cek = HKDF.Expand(HashAlgorithmName.SHA256, prk, 16, CekInfo);
        var nonce = HKDF.Expand(HashAlgorithmName.SHA256, prk, 12, NonceInfo);

        var padded = new byte[record.Length - 16];
        using (var aes = new AesGcm(cek, 16))
        {
            aes.Decrypt(nonce, record[..^16], record[^16..], padded);
        }

        // Strip RFC 8188 padding: zeros after the delimiter; the last record's delimiter is 0x02.
        var end = padded.Length - 1;
        while (end >= 0 && padded[end] == 0)
        {
            end--;
        }

        if (end < 0 || padded[end] != 2)
        {
            throw new CryptographicException("missing last-record delimiter");
        }

        return padded[..end];
    }
}

/// <summary>
/// Checks RFC 8292 <c>Authorization: vapid t=&lt;JWT&gt;, k=&lt;key&gt;</c> the way a push service does: ES256 signature by
/// <c>k</c>, <c>aud</c> = this service's origin, <c>exp</c> in the future but at most 24 h ahead, <c>sub</c> present.
/// A verified token is remembered until it expires, as real services do, so only the first use costs a verify.
/// </summary>
internal sealed class VapidVerifier(string origin, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _verified = new(StringComparer.Ordinal);

    /// <summary>Null when valid; otherwise why not.</summary>
    public string? Check(string? authorization, out string? key)
    {
        key = null;
        if (authorization is null || !authorization.StartsWith("vapid ", StringComparison.OrdinalIgnoreCase))
        {
            return "Authorization must be 'vapid t=…, k=…'";
        }

        string? token = null;
        foreach (var part in authorization[6..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                token = part[2..];
            }
            else if (part.StartsWith("k=", StringComparison.Ordinal))
            {
                key = part[2..];
            }
        }

        if (token is null || key is null)
        {
            return "vapid needs both t and k";
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var cacheKey = token + " " + key;
        if (_verified.TryGetValue(cacheKey, out var expires))
        {
            return now < expires ? null : "JWT expired";
        }

        var error = Verify(token, key, now, out var exp);
        if (error is null)
        {
            _verified[cacheKey] = exp;
        }

        return error;
    }

    private string? Verify(string token, string key, long now, out long exp)
    {
        exp = 0;
        var segments = token.Split('.');
        if (segments.Length != 3 || !segments.All(s => Base64Url.IsValid(s)) || !Base64Url.IsValid(key))
        {
            return "malformed JWT or key";
        }

        var q = Base64Url.DecodeFromChars(key);
        var signature = Base64Url.DecodeFromChars(segments[2]);
        if (q.Length != 65 || q[0] != 4 || signature.Length != 64)
        {
            return "k must be an uncompressed P-256 point and the signature 64 bytes";
        }

        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(segments[0]));
            if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != "ES256")
            {
                return "alg must be ES256";
            }

            using var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = q[1..33], Y = q[33..] } });
            if (!ecdsa.VerifyData(Encoding.ASCII.GetBytes(segments[0] + "." + segments[1]), signature, HashAlgorithmName.SHA256))
            {
                return "bad signature";
            }

            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(segments[1]));
            var root = claims.RootElement;
            if (!root.TryGetProperty("aud", out var aud) || aud.ValueKind != JsonValueKind.String || aud.GetString() != origin)
            {
                return $"aud must be {origin}";
            }

            if (!root.TryGetProperty("exp", out var e) || !e.TryGetInt64(out exp) || exp <= now || exp > now + (24 * 3600))
            {
                return "exp must be in the future and at most 24 h ahead";
            }

            if (!root.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(sub.GetString()))
            {
                return "sub is required";
            }

            return null;
        }
        catch (Exception e) when (e is JsonException or CryptographicException or InvalidOperationException)
        {
            return "malformed JWT: " + e.Message;
        }
    }
}
