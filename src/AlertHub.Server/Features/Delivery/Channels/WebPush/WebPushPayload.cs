using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using AlertHub.Core.Delivery;

namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>
/// The compact JSON a resident's service worker turns into a notification, and the RFC 8030 headers derived
/// from the alert. The encrypted record must stay within 4096 bytes, so the body is cut to fit.
/// </summary>
internal static class WebPushPayload
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    /// <summary>UTF-8 JSON of at most <paramref name="maxBytes"/> bytes, or null when even an empty body does not fit.</summary>
    public static byte[]? Build(RenderedMessage m, string idempotencyKey, string url, int maxBytes = WebPushEncryption.MaxPlaintextLength)
    {
        var body = m.Instruction is { Length: > 0 } instruction ? m.Body + "\n" + instruction : m.Body;
        var buffer = new ArrayBufferWriter<byte>(1024);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            buffer.ResetWrittenCount();
            Write(buffer, m, idempotencyKey, url, body);
            var excess = buffer.WrittenCount - maxBytes;
            if (excess <= 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            if (body.Length == 0)
            {
                return null;
            }

            // Drop chars from the end until their JSON-encoded size covers the excess plus the ellipsis (3 bytes).
            var keep = body.Length;
            var dropped = 0;
            while (keep > 0 && dropped < excess + 3)
            {
                dropped += EncodedSize(body[--keep]);
            }

            if (keep > 0 && char.IsHighSurrogate(body[keep - 1]))
            {
                keep--;
            }

            body = string.Concat(body.AsSpan(0, keep), "…");
        }

        return null;
    }

    /// <summary>RFC 8030 Topic: 32 base64url characters from the alert id, so an update or cancel replaces a
    /// still-undelivered earlier version of the same alert.</summary>
    public static string TopicFor(string alertId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(alertId), hash);
        return Base64Url.EncodeToString(hash[..24]);
    }

    /// <summary>RFC 8030 Urgency: high for Severe and Extreme alerts (wakes the device), normal otherwise.</summary>
    public static string UrgencyFor(RenderedMessage m) => m.Severity is "Severe" or "Extreme" ? "high" : "normal";

    /// <summary>TTL in seconds: the configured time to live, but never past the alert's expiry.</summary>
    public static long TimeToLive(RenderedMessage m, TimeSpan configured, DateTimeOffset now)
    {
        var ttl = configured;
        if (m.Expires is { } expires && expires - now < ttl)
        {
            ttl = expires - now;
        }

        return Math.Max(0, (long)ttl.TotalSeconds);
    }

    /// <summary>Bytes one UTF-16 char takes in the JSON string (an estimate for rare escapes; the caller re-measures).</summary>
    private static int EncodedSize(char c) => c switch
    {
        '\n' or '\r' or '\t' or '\b' or '\f' or '"' or '\\' => 2,
        < ' ' or '<' or '>' or '&' or '\'' or '+' or '`' => 6,
        < (char)0x80 => 1,
        < (char)0x800 => 2,
        _ when char.IsSurrogate(c) => 6, // the encoder writes astral chars (emoji) as \uXXXX\uXXXX
        _ => 3,
    };

    private static void Write(IBufferWriter<byte> output, RenderedMessage m, string idempotencyKey, string url, string body)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        w.WriteString("title"u8, m.Headline);
        w.WriteString("body"u8, body);
        w.WriteString("alertId"u8, m.AlertId);
        w.WriteNumber("version"u8, m.Version);
        w.WriteString("msgType"u8, m.MsgType);
        w.WriteString("status"u8, m.Status);
        w.WriteString("severity"u8, m.Severity);
        w.WriteString("idempotencyKey"u8, idempotencyKey);
        w.WriteString("url"u8, url);
        if (m.ImageUrl is { } image)
        {
            // The service worker passes it to showNotification({ image }).
            w.WriteString("image"u8, image);
        }

        w.WriteEndObject();
    }
}
