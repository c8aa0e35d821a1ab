namespace AlertHub.Core.Storage;

/// <summary>How the board's word search matches, the same on every engine.</summary>
internal static class AlertSearch
{
    /// <summary>A LIKE pattern (escape character '\') that finds <paramref name="words"/> anywhere, taken literally.</summary>
    public static string LikePattern(string words) =>
        "%" + words.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
