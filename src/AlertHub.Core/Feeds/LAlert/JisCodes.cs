namespace AlertHub.Core.Feeds.LAlert;

/// <summary>総務省 全国地方公共団体コード as L-Alert (and some CAP geocodes) write them.</summary>
internal static class JisCodes
{
    /// <summary>
    /// The 5-digit municipality a code names: a 6-digit code with a valid check digit (<c>131016</c> → <c>13101</c>),
    /// a 5-digit code as is, a 12-digit 大字・町丁目 code by its first five digits (<c>131010001001</c> → <c>13101</c>).
    /// Null for anything else (a 6-digit code whose check digit fails is not trusted).
    /// </summary>
    public static string? Municipality(string? code)
    {
        if (code is null || code.Length == 0 || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        return code.Length switch
        {
            5 => code,
            6 when code[5] - '0' == CheckDigit(code.AsSpan(0, 5)) => code[..5],
            12 => code[..5],
            _ => null,
        };
    }

    /// <summary>Check digit: weights 6..2 over the five digits, the ones digit of 11 − (sum mod 11).</summary>
    public static int CheckDigit(ReadOnlySpan<char> fiveDigits)
    {
        var sum = 0;
        for (var i = 0; i < 5; i++)
        {
            sum += (fiveDigits[i] - '0') * (6 - i);
        }

        return (11 - (sum % 11)) % 10;
    }
}
