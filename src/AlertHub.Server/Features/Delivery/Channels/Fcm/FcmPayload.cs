using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlertHub.Core.Delivery;

namespace AlertHub.Server.Features.Delivery.Channels.Fcm;

/// <summary>
/// The v1 <c>messages:send</c> body for one device token. Title and body go in the shared <c>notification</c> (FCM copies
/// them into the APNs alert and the Web Push notification, so the payload carries them once); every platform block asks
/// for immediate, high-priority display and collapses on the alert, so an update replaces the earlier version on the
/// device. The <c>data</c> map repeats alert id, version, type and idempotency key as strings for the app to dedupe.
/// </summary>
internal static class FcmPayload
{
    /// <summary>FCM's longest TTL: 4 weeks.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromSeconds(2_419_200);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string CollapseKey(RenderedMessage m) => "alert-" + m.AlertId;

    public static byte[] Build(DeliveryItem item, FcmChannelOptions options, DateTimeOffset now)
    {
        var m = item.Message;
        var ttl = options.Ttl;
        if (m.Expires is { } expires && expires - now < ttl)
        {
            ttl = expires - now;
        }

        ttl = ttl < TimeSpan.Zero ? TimeSpan.Zero : ttl > MaxTtl ? MaxTtl : ttl;
        var ttlSeconds = (long)ttl.TotalSeconds;
        var collapseKey = CollapseKey(m);
        // Devices fetch notification images themselves; iOS refuses plain HTTP, so over HTTP only data.imageUrl carries it.
        var image = m.ImageUrl is { } url && Media.AlertImage.IsFetchableByProviders(url) ? url : null;
        var body = m.Instruction is { Length: > 0 } instruction ? m.Body + "\n" + instruction : m.Body;
        if (body.Length > options.MaxBodyLength)
        {
            body = body[..(options.MaxBodyLength - 1)] + "…";
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("message");
            w.WriteString("token", item.Address);

            w.WriteStartObject("notification");
            w.WriteString("title", m.Headline);
            w.WriteString("body", body);
            if (image is not null)
            {
                w.WriteString("image", image);
            }

            w.WriteEndObject();

            w.WriteStartObject("data");
            w.WriteString("alertId", m.AlertId);
            w.WriteString("version", m.Version.ToString(CultureInfo.InvariantCulture));
            w.WriteString("msgType", m.MsgType);
            w.WriteString("status", m.Status);
            w.WriteString("severity", m.Severity);
            w.WriteString("urgency", m.Urgency);
            w.WriteString("event", m.Event);
            w.WriteString("language", m.Language);
            w.WriteString("idempotencyKey", item.IdempotencyKey);
            w.WriteString("sent", m.Sent.ToString("O", CultureInfo.InvariantCulture));
            if (m.Expires is { } e)
            {
                w.WriteString("expires", e.ToString("O", CultureInfo.InvariantCulture));
            }

            if (m.AreaName is { Length: > 0 } area)
            {
                w.WriteString("areaName", area);
            }

            if (m.ImageUrl is { } imageUrl)
            {
                w.WriteString("imageUrl", imageUrl);
            }

            w.WriteEndObject();

            w.WriteStartObject("android");
            w.WriteString("priority", "HIGH");
            w.WriteString("ttl", ttlSeconds.ToString(CultureInfo.InvariantCulture) + "s");
            w.WriteString("collapse_key", collapseKey);
            w.WriteBoolean("direct_boot_ok", true);
            w.WriteStartObject("notification");
            if (options.AndroidChannelId is { Length: > 0 } channelId)
            {
                w.WriteString("channel_id", channelId);
            }

            w.WriteString("tag", collapseKey);
            w.WriteString("notification_priority", "PRIORITY_MAX");
            w.WriteString("visibility", "PUBLIC");
            w.WriteString("sound", "default");
            if (image is not null)
            {
                w.WriteString("image", image);
            }

            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject("apns");
            w.WriteStartObject("headers");
            w.WriteString("apns-priority", "10");
            w.WriteString("apns-push-type", "alert");
            w.WriteString("apns-collapse-id", collapseKey);
            w.WriteString("apns-expiration", (now + ttl).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteStartObject("payload");
            w.WriteStartObject("aps");
            w.WriteString("sound", "default");
            w.WriteString("interruption-level", "time-sensitive");
            if (image is not null)
            {
                // The app's notification service extension downloads the picture.
                w.WriteNumber("mutable-content", 1);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            if (image is not null)
            {
                w.WriteStartObject("fcm_options");
                w.WriteString("image", image);
                w.WriteEndObject();
            }

            w.WriteEndObject();

            w.WriteStartObject("webpush");
            w.WriteStartObject("headers");
            w.WriteString("TTL", ttlSeconds.ToString(CultureInfo.InvariantCulture));
            w.WriteString("Urgency", "high");
            w.WriteString("Topic", WebPushTopic(m.AlertId));
            w.WriteEndObject();
            w.WriteStartObject("notification");
            w.WriteBoolean("requireInteraction", true);
            w.WriteString("tag", collapseKey);
            if (image is not null)
            {
                w.WriteString("image", image);
            }

            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>RFC 8030 Topic: at most 32 characters of the URL-safe base64 alphabet.</summary>
    internal static string WebPushTopic(string alertId)
    {
        if (alertId.Length is > 0 and <= 32 && alertId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return alertId;
        }

        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(alertId)))[..32].Replace('+', '-').Replace('/', '_');
    }
}
