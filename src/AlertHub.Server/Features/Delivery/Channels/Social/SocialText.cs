using AlertHub.Core.Delivery;

namespace AlertHub.Server.Features.Delivery.Channels.Social;

/// <summary>The public text of an alert, fitted to a service's length rule, with a link to the full CAP text when cut.</summary>
internal static class SocialText
{
    /// <summary>Both services count any URL as 23 characters.</summary>
    public const int UrlLength = 23;

    public static string Compose(RenderedMessage m, string fullTextUrl, int maxLength, Func<string, int> length)
    {
        var parts = new List<string> { m.Headline };
        if (!string.IsNullOrWhiteSpace(m.AreaName))
        {
            parts.Add($"対象: {m.AreaName}");
        }

        parts.Add(m.Body);
        if (!string.IsNullOrWhiteSpace(m.Instruction))
        {
            parts.Add(m.Instruction);
        }

        var full = string.Join("\n", parts.Where(p => !string.IsNullOrWhiteSpace(p)));
        // A link to the picture (counted as one URL) when it fits whole; a cut text links the full CAP text instead.
        if (m.ImageUrl is { } image && length(full + "\n" + image) <= maxLength)
        {
            return full + "\n" + image;
        }

        if (length(full) <= maxLength)
        {
            return full;
        }

        // Cut on a character boundary so the text plus "…\n" and the link fits.
        var budget = maxLength - UrlLength - length("…\n");
        var cut = full;
        while (cut.Length > 0 && length(cut) > budget)
        {
            cut = cut[..^1];
            if (cut.Length > 0 && char.IsHighSurrogate(cut[^1]))
            {
                cut = cut[..^1];
            }
        }

        return cut.TrimEnd() + "…\n" + fullTextUrl;
    }

    /// <summary>Mastodon: characters (code points), URLs as 23.</summary>
    public static int MastodonLength(string text) => Weighted(text, _ => 1);

    /// <summary>X's weighted length: Latin and general punctuation ranges weigh 1, everything else (CJK…) 2; URLs 23.</summary>
    public static int XLength(string text) => Weighted(text, cp => cp is <= 0x10FF or (>= 0x2000 and <= 0x200D) or (>= 0x2010 and <= 0x201F) or (>= 0x2032 and <= 0x2037) ? 1 : 2);

    private static int Weighted(string text, Func<int, int> weight)
    {
        var total = 0;
        foreach (var token in text.Split('\n'))
        {
            foreach (var word in SplitKeepingSpaces(token))
            {
                if (word.StartsWith("http://", StringComparison.Ordinal) || word.StartsWith("https://", StringComparison.Ordinal))
                {
                    total += UrlLength;
                    continue;
                }

                for (var i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
                {
                    total += weight(char.ConvertToUtf32(word, i));
                }
            }
        }

        return total + text.Count(c => c == '\n');
    }

    private static IEnumerable<string> SplitKeepingSpaces(string line)
    {
        var start = 0;
        for (var i = 0; i <= line.Length; i++)
        {
            if (i == line.Length || line[i] == ' ')
            {
                if (i > start)
                {
                    yield return line[start..i];
                }

                if (i < line.Length)
                {
                    yield return " ";
                }

                start = i + 1;
            }
        }
    }
}
