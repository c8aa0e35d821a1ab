using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace AlertHub.Core.Feeds;

/// <summary>Small readers shared by the L-Alert and CAP parsers: namespace-agnostic child lookup, trimmed text, times.</summary>
internal static partial class FeedXml
{
    public static XElement? Child(this XElement? element, string localName) =>
        element?.Elements().FirstOrDefault(e => e.Name.LocalName == localName);

    public static IEnumerable<XElement> Children(this XElement? element, string localName) =>
        element is null ? [] : element.Elements().Where(e => e.Name.LocalName == localName);

    /// <summary>Trimmed text, or null when missing or blank.</summary>
    public static string? Text(this XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        var value = element.Value.Trim();
        return value.Length == 0 ? null : value;
    }

    public static string? ChildText(this XElement? element, string localName) => element.Child(localName).Text();

    /// <summary>Parses an xs:dateTime; one without an offset is taken at <paramref name="assumedOffset"/>. Null when unparseable.</summary>
    public static DateTimeOffset? Time(string? value, TimeSpan assumedOffset)
    {
        if (value is null)
        {
            return null;
        }

        value = value.Trim();
        if (OffsetRegex().IsMatch(value))
        {
            return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset) ? withOffset : null;
        }

        return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), assumedOffset)
            : null;
    }

    /// <summary>"ja-JP" → "ja", "en-US" → "en": the primary language subtag, lower case.</summary>
    public static string LanguageKey(string? tag, string fallback)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            return fallback;
        }

        var primary = tag.Trim().Split('-', '_')[0].ToLowerInvariant();
        return primary.Length is >= 2 and <= 8 && primary.All(char.IsAsciiLetter) ? primary : fallback;
    }

    /// <summary>Of two statuses the less real one: a drill relayed inside a real envelope is still a drill, and vice versa.</summary>
    public static Operational Stricter(Operational a, Operational b) => (Operational)Math.Max((int)a, (int)b);

    [GeneratedRegex(@"(Z|[+-]\d{2}:?\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetRegex();
}
