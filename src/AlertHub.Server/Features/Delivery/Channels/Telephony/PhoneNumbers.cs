using System.Globalization;
using System.Text;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>What kind of line a number is, as far as its digits tell (Japan only; elsewhere <see cref="Unknown"/>).</summary>
internal enum LineKind { Unknown, Mobile, Landline, IpPhone }

/// <summary>A phone number in E.164 form (<c>+81182322111</c>) and what its digits say about it.</summary>
internal sealed record PhoneNumber(string E164, LineKind Kind);

/// <summary>
/// Reads the numbers residents and staff type — 「0182-32-2111」, 「090-1234-5678」, 「＋81 90 1234 5678」, 「(0182)32-2111」 —
/// into E.164. A Japanese number starting with 0 is national: the trunk 0 goes and +81 comes (「+81 0182…」, written by
/// people who keep the 0, is read the same way). Other countries only in + form: a number without + or 0 is ambiguous.
/// </summary>
internal static class PhoneNumbers
{
    /// <summary>Normalises or returns null with why (for a 400 the resident can act on).</summary>
    public static PhoneNumber? TryNormalise(string? input, out string? reason)
    {
        reason = null;
        if (string.IsNullOrWhiteSpace(input) || input.Length > 40)
        {
            reason = "a phone number is required (at most 40 characters).";
            return null;
        }

        // Full-width digits and plus (０９０, ＋) become ASCII; separators people type are dropped.
        var text = input.Normalize(NormalizationForm.FormKC).Trim();
        var digits = new StringBuilder(16);
        var plus = false;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (c == '+' && digits.Length == 0 && !plus)
            {
                plus = true;
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')' or '\u2010' or '\u2212' or '\u30FC' or '\u2015'))
            {
                reason = $"'{c}' is not part of a phone number.";
                return null;
            }
        }

        var d = digits.ToString();
        string national;
        if (plus)
        {
            if (d.Length is < 2 or > 16 || d[0] == '0')
            {
                reason = "an international number is + and 2–15 digits, not starting with 0.";
                return null;
            }

            if (!d.StartsWith("81", StringComparison.Ordinal))
            {
                if (d.Length > 15)
                {
                    reason = "an E.164 number has at most 15 digits.";
                    return null;
                }

                return new PhoneNumber("+" + d, LineKind.Unknown);
            }

            // +81 0182… : the trunk 0 some people keep after the country code is not part of the number.
            national = d.Length > 2 && d[2] == '0' ? d[3..] : d[2..];
        }
        else if (d.StartsWith('0') && !d.StartsWith("00", StringComparison.Ordinal) && !d.StartsWith("010", StringComparison.Ordinal))
        {
            national = d[1..];
        }
        else
        {
            reason = "write the number with its area code (0182-32-2111, 090-1234-5678) or in +81 form.";
            return null;
        }

        // Japanese numbers: 0 + 9 digits (固定電話) or 0 + 10 digits (携帯, 050 IP 電話).
        if (national.Length is not (9 or 10) || national[0] == '0')
        {
            reason = "a Japanese number has 10 digits (固定電話, 0182-32-2111) or 11 (携帯電話, 090-1234-5678).";
            return null;
        }

        if (national.StartsWith("570", StringComparison.Ordinal) || national.StartsWith("990", StringComparison.Ordinal)
            || national.StartsWith("20", StringComparison.Ordinal) || national.StartsWith("120", StringComparison.Ordinal)
            || national.StartsWith("800", StringComparison.Ordinal))
        {
            reason = "ナビダイヤル, premium, pager and free-dial numbers cannot be called with alerts; register the household's own number.";
            return null;
        }

        var kind = national.Length == 10 && (national[0] is '7' or '8' or '9') && national[1] == '0' ? LineKind.Mobile
            : national.Length == 10 && national.StartsWith("50", StringComparison.Ordinal) ? LineKind.IpPhone
            : national.Length == 9 ? LineKind.Landline
            : LineKind.Unknown;
        if (kind == LineKind.Unknown)
        {
            reason = "an 11-digit Japanese number is a mobile (070/080/090) or an IP phone (050).";
            return null;
        }

        return new PhoneNumber("+81" + national, kind);
    }

    /// <summary>The number as a Japanese reader writes it, for staff screens (+81182322111 → 0182322111).</summary>
    public static string National(string e164) =>
        e164.StartsWith("+81", StringComparison.Ordinal) ? "0" + e164[3..] : e164;

    /// <summary>Last four digits only, for logs: a phone number is personal data.</summary>
    public static string Masked(string e164) =>
        e164.Length <= 4 ? "****" : string.Create(CultureInfo.InvariantCulture, $"…{e164[^4..]}");
}
