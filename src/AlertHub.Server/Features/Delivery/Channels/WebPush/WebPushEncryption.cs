using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using AlertHub.Core.Crypto;

namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>A browser subscription's key material: the UA's P-256 public key and the 16-byte auth secret.</summary>
internal sealed record WebPushKeys(byte[] P256dh, byte[] Auth)
{
    public const int PublicKeyLength = 65;
    public const int AuthLength = 16;

    /// <summary>Decodes and checks base64url <c>p256dh</c> (an uncompressed point on P-256) and <c>auth</c> (16 bytes).</summary>
    /// <param name="checkCurve">Also check the point lies on the curve (registration does; sending lets encryption fail instead).</param>
    public static bool TryParse(string? p256dh, string? auth, out WebPushKeys keys, out string error, bool checkCurve = true)
    {
        keys = null!;
        if (!TryDecode(p256dh, out var point) || point.Length != PublicKeyLength || point[0] != 0x04)
        {
            error = "keys.p256dh must be a base64url uncompressed P-256 point (65 bytes starting 0x04).";
            return false;
        }

        if (checkCurve && !P256KeyAgreement.Default.IsOnCurve(point))
        {
            error = "keys.p256dh is not a point on P-256.";
            return false;
        }

        if (!TryDecode(auth, out var secret) || secret.Length != AuthLength)
        {
            error = "keys.auth must be a base64url 16-byte secret.";
            return false;
        }

        keys = new WebPushKeys(point, secret);
        error = "";
        return true;
    }

    private static bool TryDecode(string? value, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(value) || value.Length > 200)
        {
            return false;
        }

        // Browsers hand out unpadded base64url; some libraries pad or use the standard alphabet.
        var normalized = value.TrimEnd('=').Replace('+', '-').Replace('/', '_');
        if (!Base64Url.IsValid(normalized))
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(normalized);
        return true;
    }
}

/// <summary>
/// RFC 8291 message encryption on the RFC 8188 <c>aes128gcm</c> content coding: one record of at most 4096
/// bytes, keyed from an ephemeral ECDH exchange with the subscription's key and its auth secret.
/// </summary>
internal static class WebPushEncryption
{
    /// <summary>The record size we announce; one record carries the whole message.</summary>
    public const int RecordSize = 4096;

    /// <summary>salt(16) + rs(4) + idlen(1) + keyid(65).</summary>
    public const int HeaderLength = 16 + 4 + 1 + WebPushKeys.PublicKeyLength;

    private const int TagLength = 16;

    /// <summary>The largest plaintext one record holds: 4096 − 86 − 16 − 1 (delimiter) = 3993 bytes.</summary>
    public const int MaxPlaintextLength = RecordSize - HeaderLength - TagLength - 1;

    private static readonly byte[] KeyInfoPrefix = "WebPush: info\0"u8.ToArray();
    private static readonly byte[] CekInfo = "Content-Encoding: aes128gcm\0"u8.ToArray();
    private static readonly byte[] NonceInfo = "Content-Encoding: nonce\0"u8.ToArray();

    /// <summary>Encrypts with a fresh ephemeral key pair and a random salt (the only way production calls it).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, WebPushKeys keys, P256KeyAgreement? agreement = null)
    {
        CheckPlaintext(plaintext);
        Span<byte> asPublic = stackalloc byte[WebPushKeys.PublicKeyLength];
        Span<byte> ecdhSecret = stackalloc byte[P256KeyAgreement.SecretLength];
        (agreement ?? P256KeyAgreement.Default).AgreeWithNewKey(keys.P256dh, asPublic, ecdhSecret);
        Span<byte> salt = stackalloc byte[16];
        RandomNumberGenerator.Fill(salt);
        return Seal(plaintext, keys, asPublic, ecdhSecret, salt);
    }

    /// <summary>Encrypts with the given application-server key pair and salt (fixed values reproduce RFC 8291 Appendix A).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, WebPushKeys keys, ReadOnlySpan<byte> asPrivate, ReadOnlySpan<byte> asPublic, ReadOnlySpan<byte> salt, P256KeyAgreement? agreement = null)
    {
        CheckPlaintext(plaintext);
        if (salt.Length != 16)
        {
            throw new ArgumentException("The salt must be 16 bytes.", nameof(salt));
        }

        Span<byte> ecdhSecret = stackalloc byte[P256KeyAgreement.SecretLength];
        (agreement ?? P256KeyAgreement.Default).Agree(asPrivate, asPublic, keys.P256dh, ecdhSecret);
        return Seal(plaintext, keys, asPublic, ecdhSecret, salt);
    }

    private static void CheckPlaintext(ReadOnlySpan<byte> plaintext)
    {
        if (plaintext.Length > MaxPlaintextLength)
        {
            throw new ArgumentException($"Web Push plaintext is {plaintext.Length} bytes; one record holds at most {MaxPlaintextLength}.", nameof(plaintext));
        }
    }

    /// <summary>Key schedule and the single aes128gcm record, once the ECDH secret is agreed (wiped here after use).</summary>
    private static byte[] Seal(ReadOnlySpan<byte> plaintext, WebPushKeys keys, ReadOnlySpan<byte> asPublic, Span<byte> ecdhSecret, ReadOnlySpan<byte> salt)
    {
        Span<byte> keyInfo = stackalloc byte[KeyInfoPrefix.Length + (2 * WebPushKeys.PublicKeyLength)];
        KeyInfoPrefix.CopyTo(keyInfo);
        keys.P256dh.CopyTo(keyInfo[KeyInfoPrefix.Length..]);
        asPublic.CopyTo(keyInfo[(KeyInfoPrefix.Length + WebPushKeys.PublicKeyLength)..]);

        Span<byte> ikm = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ecdhSecret, ikm, keys.Auth, keyInfo);
        CryptographicOperations.ZeroMemory(ecdhSecret);

        Span<byte> prk = stackalloc byte[32];
        HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt, prk);
        Span<byte> cek = stackalloc byte[16];
        Span<byte> nonce = stackalloc byte[12];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, cek, CekInfo);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, nonce, NonceInfo);

        var body = new byte[HeaderLength + plaintext.Length + 1 + TagLength];
        salt.CopyTo(body);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(16), RecordSize);
        body[20] = WebPushKeys.PublicKeyLength;
        asPublic.CopyTo(body.AsSpan(21));

        // The last (and only) record ends with the 0x02 delimiter; no further padding.
        var record = body.AsSpan(HeaderLength, plaintext.Length + 1);
        plaintext.CopyTo(record);
        record[^1] = 0x02;
        using (var aes = new AesGcm(cek, TagLength))
        {
            aes.Encrypt(nonce, record, record, body.AsSpan(HeaderLength + record.Length, TagLength));
        }

        CryptographicOperations.ZeroMemory(cek);
        CryptographicOperations.ZeroMemory(prk);
        CryptographicOperations.ZeroMemory(ikm);
        return body;
    }

    public static byte[] ExportPoint(ECAlgorithm key)
    {
        var p = key.ExportParameters(includePrivateParameters: false).Q;
        var point = new byte[WebPushKeys.PublicKeyLength];
        point[0] = 0x04;
        p.X!.CopyTo(point, 1);
        p.Y!.CopyTo(point, 33);
        return point;
    }
}
