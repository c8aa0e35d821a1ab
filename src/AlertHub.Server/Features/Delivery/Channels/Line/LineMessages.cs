using System.Buffers;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertHub.Core.Delivery;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>LINE message objects, request bodies and retry keys, within LINE's published limits.</summary>
internal static class LineMessages
{
    /// <summary>Text message limit, in UTF-16 code units (LINE counts surrogate pairs as 2).</summary>
    public const int MaxTextLength = 5000;

    /// <summary>Flex altText limit. LINE's reference now says 1,500; older pages say 400, which satisfies both.</summary>
    public const int MaxAltTextLength = 400;

    public const int MaxMulticastRecipients = 500;

    private const int MaxAggregationUnitLength = 30;
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static string Text(RenderedMessage m)
    {
        var japanese = IsJapanese(m);
        var sb = new StringBuilder(m.Headline.Length + m.Body.Length + 64);
        sb.Append(m.Headline);
        if (m.Body.Length > 0)
        {
            sb.Append("\n\n").Append(m.Body);
        }

        if (!string.IsNullOrEmpty(m.Instruction))
        {
            sb.Append("\n\n").Append(m.Instruction);
        }

        if (!string.IsNullOrEmpty(m.AreaName))
        {
            sb.Append("\n\n").Append(japanese ? "対象地域: " : "Area: ").Append(m.AreaName);
        }

        if (ImageLink(m) is { } link)
        {
            sb.Append("\n\n").Append(japanese ? "写真: " : "Photo: ").Append(link);
        }

        return Truncate(sb.ToString(), MaxTextLength);
    }

    public static string AltText(RenderedMessage m) =>
        Truncate(m.Body.Length > 0 ? m.Headline + "\n" + m.Body : m.Headline, MaxAltTextLength);

    /// <summary>Writes one message object (text or flex) for the rendered alert.</summary>
    public static void WriteMessage(Utf8JsonWriter w, RenderedMessage m, LineMessageFormat format)
    {
        w.WriteStartObject();
        if (format == LineMessageFormat.Text)
        {
            w.WriteString("type", "text");
            w.WriteString("text", Text(m));
            w.WriteEndObject();
            return;
        }

        var japanese = IsJapanese(m);
        w.WriteString("type", "flex");
        w.WriteString("altText", AltText(m));
        w.WriteStartObject("contents");
        w.WriteString("type", "bubble");

        w.WriteStartObject("header");
        w.WriteString("type", "box");
        w.WriteString("layout", "vertical");
        w.WriteString("backgroundColor", SeverityColour(m.Severity));
        w.WriteStartArray("contents");
        FlexText(w, Truncate(m.Headline, MaxTextLength), size: "md", weight: "bold", color: "#FFFFFF");
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("body");
        w.WriteString("type", "box");
        w.WriteString("layout", "vertical");
        w.WriteString("spacing", "md");
        w.WriteStartArray("contents");
        if (m.Body.Length > 0)
        {
            FlexText(w, Truncate(m.Body, MaxTextLength), size: "sm", weight: null, color: null);
        }

        if (!string.IsNullOrEmpty(m.Instruction))
        {
            w.WriteStartObject();
            w.WriteString("type", "separator");
            w.WriteEndObject();
            FlexText(w, Truncate(m.Instruction, MaxTextLength), size: "sm", weight: "bold", color: null);
        }

        if (m.Body.Length == 0 && string.IsNullOrEmpty(m.Instruction))
        {
            FlexText(w, m.Event.Length > 0 ? m.Event : "-", size: "sm", weight: null, color: null);
        }

        if (ImageLink(m) is { } link)
        {
            FlexText(w, (japanese ? "写真: " : "Photo: ") + link, size: "xs", weight: null, color: null);
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("footer");
        w.WriteString("type", "box");
        w.WriteString("layout", "vertical");
        w.WriteStartArray("contents");
        var sent = m.Sent.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " JST";
        var footer = string.IsNullOrEmpty(m.AreaName)
            ? (japanese ? "発表 " : "Issued ") + sent
            : (japanese ? $"{m.AreaName} ・ 発表 {sent}" : $"{m.AreaName} · issued {sent}");
        FlexText(w, Truncate(footer, 200), size: "xs", weight: null, color: "#888888");
        if (m.MsgType != "Cancel")
        {
            // "I got it": a postback the hub's webhook turns into an acknowledgement, which stops escalation.
            w.WriteStartObject();
            w.WriteString("type", "button");
            w.WriteString("style", "primary");
            w.WriteStartObject("action");
            w.WriteString("type", "postback");
            w.WriteString("label", japanese ? "受け取りました" : "Got it");
            w.WriteString("data", "ack=" + m.AlertId);
            w.WriteString("displayText", japanese ? "受け取りました" : "Got it");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// The alert's picture as a second message object: LINE fetches <c>originalContentUrl</c> (JPEG ≤ 10 MB) and
    /// <c>previewImageUrl</c> (≤ 1 MB) itself, so both must be HTTPS and at most 2000 characters; otherwise the text
    /// carries a link (<see cref="ImageLink"/>) and no image message is sent.
    /// </summary>
    public static void WriteImageMessage(Utf8JsonWriter w, RenderedMessage m)
    {
        if (m.ImageUrl is not { } url || m.ImageSmallUrl is not { } preview
            || !Media.AlertImage.IsFetchableByProviders(url) || !Media.AlertImage.IsFetchableByProviders(preview))
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("type", "image");
        w.WriteString("originalContentUrl", url);
        w.WriteString("previewImageUrl", preview);
        w.WriteEndObject();
    }

    /// <summary>The picture's URL as a link, when the alert has one LINE cannot fetch as an image message.</summary>
    public static string? ImageLink(RenderedMessage m) =>
        m.ImageUrl is { } url && (!Media.AlertImage.IsFetchableByProviders(url) || m.ImageSmallUrl is null || !Media.AlertImage.IsFetchableByProviders(m.ImageSmallUrl))
            ? url
            : null;

    /// <summary>Request body for push (one recipient), multicast (recipients), broadcast or narrowcast (none).</summary>
    public static byte[] Body(LineSendMode mode, IReadOnlyList<string> recipients, RenderedMessage m, LineChannelOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(1024 + (recipients.Count * 36));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            switch (mode)
            {
                case LineSendMode.Push:
                    w.WriteString("to", recipients[0]);
                    break;
                case LineSendMode.Multicast:
                    w.WriteStartArray("to");
                    foreach (var r in recipients)
                    {
                        w.WriteStringValue(r);
                    }

                    w.WriteEndArray();
                    break;
                case LineSendMode.Narrowcast:
                    w.WriteStartObject("recipient");
                    w.WriteString("type", "audience");
                    w.WriteNumber("audienceGroupId", options.NarrowcastAudienceGroupId ?? 0);
                    w.WriteEndObject();
                    break;
            }

            w.WriteStartArray("messages");
            WriteMessage(w, m, options.MessageFormat);
            WriteImageMessage(w, m);
            w.WriteEndArray();
            w.WriteBoolean("notificationDisabled", false);
            if (options.AggregationUnits && mode is LineSendMode.Push or LineSendMode.Multicast && AggregationUnit(m.AlertId, m.Version) is { } unit)
            {
                w.WriteStartArray("customAggregationUnits");
                w.WriteStringValue(unit);
                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The <c>X-Line-Retry-Key</c> of a request: a UUID (version 8, RFC 9562) hashed from what the request sends —
    /// endpoint, alert version, language, format and the sorted recipients — so resending the same request after a
    /// crash or a lost response reuses the key and LINE answers 409 instead of delivering twice.
    /// </summary>
    public static Guid RetryKey(LineSendMode mode, RenderedMessage m, LineMessageFormat format, IEnumerable<string> recipients)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, "alerthub-line-retry-key/1");
        Append(hash, mode.ToString());
        Append(hash, m.AlertId);
        Append(hash, m.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Append(hash, mode is LineSendMode.Broadcast or LineSendMode.Narrowcast ? "" : m.Language);
        Append(hash, format.ToString());
        foreach (var r in recipients.Order(StringComparer.Ordinal))
        {
            Append(hash, r);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        var bytes = digest[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// The aggregation unit for an alert version: base62 of the 32-hex alert id, '_' and the version (≤ 30 characters
    /// of [A-Za-z0-9_], LINE's rule). Null for alert ids that are not 32 hex digits.
    /// </summary>
    public static string? AggregationUnit(string alertId, int version)
    {
        if (!Guid.TryParseExact(alertId, "N", out var id))
        {
            return null;
        }

        var unit = Base62(id.ToByteArray(bigEndian: true)) + "_" + version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return unit.Length <= MaxAggregationUnitLength ? unit : null;
    }

    /// <summary>Truncates to at most <paramref name="max"/> UTF-16 code units without splitting a surrogate pair.</summary>
    public static string Truncate(string value, int max)
    {
        if (value.Length <= max)
        {
            return value;
        }

        var cut = max - 1;
        if (cut > 0 && char.IsHighSurrogate(value[cut - 1]))
        {
            cut--;
        }

        return string.Concat(value.AsSpan(0, cut), "…");
    }

    private static string Base62(byte[] bigEndian)
    {
        const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var n = new BigInteger(bigEndian, isUnsigned: true, isBigEndian: true);
        Span<char> chars = stackalloc char[22];
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            n = BigInteger.DivRem(n, 62, out var rem);
            chars[i] = Alphabet[(int)rem];
        }

        return new string(chars);
    }

    private static void FlexText(Utf8JsonWriter w, string text, string size, string? weight, string? color)
    {
        w.WriteStartObject();
        w.WriteString("type", "text");
        w.WriteString("text", text);
        w.WriteBoolean("wrap", true);
        w.WriteString("size", size);
        if (weight is not null)
        {
            w.WriteString("weight", weight);
        }

        if (color is not null)
        {
            w.WriteString("color", color);
        }

        w.WriteEndObject();
    }

    private static string SeverityColour(string severity) => severity switch
    {
        "Extreme" => "#B71C1C",
        "Severe" => "#E65100",
        "Moderate" => "#F57F17",
        _ => "#1565C0",
    };

    private static bool IsJapanese(RenderedMessage m) => m.Language.StartsWith("ja", StringComparison.OrdinalIgnoreCase);

    private static void Append(IncrementalHash hash, string value)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(value));
        hash.AppendData("\n"u8);
    }
}
