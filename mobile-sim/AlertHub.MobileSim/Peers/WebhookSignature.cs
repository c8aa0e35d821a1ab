using System.Security.Cryptography;
using System.Text;

namespace AlertHub.MobileSim.Peers;

/// <summary>X-AlertHub-Signature: base64(HMAC-SHA256(key = endpoint secret as UTF-8, data = raw body bytes)).</summary>
internal static class WebhookSignature
{
    public const string SignatureHeader = "X-AlertHub-Signature";
    public const string DeliveryIdHeader = "X-AlertHub-Delivery-Id";
    public const string TimestampHeader = "X-AlertHub-Timestamp";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Constant-time check; a missing or non-base64 header is simply invalid.</summary>
    public static bool IsValid(byte[] secretUtf8, ReadOnlySpan<byte> body, string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[64];
        if (!Convert.TryFromBase64String(header.Trim(), given, out var written) || written != HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secretUtf8, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given[..written]);
    }
}
