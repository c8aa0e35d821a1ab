namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>How a text travels as SMS: its encoding, its length in that encoding's units and how many segments it takes.</summary>
internal sealed record SmsLength(bool Gsm7, int Units, int Segments);

/// <summary>
/// SMS segmenting. Text entirely in the GSM 03.38 alphabet goes as GSM-7: 160 septets in one message, 153 per part when
/// concatenated (escape characters such as € count two). Anything else — every Japanese text — goes as UCS-2: 70 UTF-16
/// units in one message, 67 per part (the 6-byte concatenation header takes the rest). A character outside the BMP is a
/// surrogate pair, two units that a part never splits.
/// </summary>
internal static class SmsText
{
    private const string Gsm7Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Gsm7Extension = "^{}\\[~]|€\f";

    public static SmsLength Measure(string text)
    {
        if (IsGsm7(text))
        {
            var septets = text.Sum(c => Gsm7Extension.Contains(c, StringComparison.Ordinal) ? 2 : 1);
            return new SmsLength(true, septets, septets <= 160 ? 1 : Parts(text, 153, c => Gsm7Extension.Contains(c, StringComparison.Ordinal) ? 2 : 1));
        }

        return new SmsLength(false, text.Length, text.Length <= 70 ? 1 : PartsUcs2(text, 67));
    }

    public static bool IsGsm7(string text) => text.All(c => Gsm7Basic.Contains(c, StringComparison.Ordinal) || Gsm7Extension.Contains(c, StringComparison.Ordinal));

    /// <summary>
    /// The message as sent: <paramref name="text"/> shortened (with 「…」) until it and the line with <paramref name="link"/>
    /// fit in <paramref name="maxSegments"/>; the link is never cut — it leads to the full text.
    /// </summary>
    public static string Fit(string text, string? link, int maxSegments)
    {
        var suffix = string.IsNullOrEmpty(link) ? "" : "\n" + link;
        var whole = text + suffix;
        if (Measure(whole).Segments <= maxSegments)
        {
            return whole;
        }

        // The longest prefix (on a character boundary) that fits with the ellipsis and the link.
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (Measure(Cut(text, mid) + "…" + suffix).Segments <= maxSegments)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return Cut(text, lo).TrimEnd() + "…" + suffix;
    }

    private static string Cut(string text, int length) =>
        length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];

    private static int PartsUcs2(string text, int perPart)
    {
        var parts = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var size = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            if (used + size > perPart)
            {
                parts++;
                used = 0;
            }

            used += size;
            i += size - 1;
        }

        return parts;
    }

    private static int Parts(string text, int perPart, Func<char, int> size)
    {
        var parts = 1;
        var used = 0;
        foreach (var c in text)
        {
            var s = size(c);
            if (used + s > perPart)
            {
                parts++;
                used = 0;
            }

            used += s;
        }

        return parts;
    }
}
