using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using AlertHub.Core.Feeds.Cap;
using AlertHub.Core.Feeds.Jma;
using AlertHub.Core.Feeds.LAlert;

namespace AlertHub.Core.Feeds;

/// <summary>
/// A document the hub refuses. <see cref="Code"/> is a stable ProblemDetails code: <c>feeds.xml_dtd_forbidden</c>,
/// <c>feeds.too_large</c>, <c>feeds.too_deep</c>, <c>feeds.xml_malformed</c>, <c>feeds.encoding_invalid</c>,
/// <c>feeds.unrecognized</c> (not JMA, L-Alert or CAP), <c>feeds.invalid</c> (recognised but missing what it must have).
/// </summary>
public sealed class FeedRejectedException(string code, string reason, Exception? inner = null) : Exception(reason, inner)
{
    public string Code { get; } = code;
}

/// <summary>Limits for reading untrusted XML.</summary>
/// <param name="MaxBytes">Largest document. Default 5 MB.</param>
/// <param name="MaxDepth">Deepest element nesting. Default 64.</param>
public sealed record SafeXmlOptions(long MaxBytes = 5 * 1024 * 1024, int MaxDepth = 64);

/// <summary>Reads untrusted XML safely: DTDs and external entities forbidden, size and depth limited.</summary>
public static partial class SafeXml
{
    /// <summary>Loads a document or throws <see cref="FeedRejectedException"/> with a stable code; never anything else.</summary>
    /// <remarks>
    /// Order of checks: size (before any decoding), encoding (the bytes are decoded strictly here, so an invalid
    /// byte sequence is <c>feeds.encoding_invalid</c>, never a half-read document), DOCTYPE in the prolog
    /// (<c>feeds.xml_dtd_forbidden</c>, before any parser sees it), nesting depth (a streaming pass), then the tree.
    /// BOM and CRLF are fine; whitespace-only text nodes are dropped (every reader trims its strings).
    /// Supported encodings: UTF-8 (default), UTF-16 with a BOM or a recognisable prolog, US-ASCII, ISO-8859-1,
    /// Shift_JIS/Windows-31J, EUC-JP, ISO-2022-JP (legacy Japanese senders). Anything else is <c>feeds.encoding_invalid</c>.
    /// </remarks>
    public static XDocument Load(ReadOnlyMemory<byte> document, SafeXmlOptions? options = null)
    {
        options ??= new SafeXmlOptions();
        if (document.Length > options.MaxBytes)
        {
            throw new FeedRejectedException("feeds.too_large", $"The document is {document.Length} bytes; the limit is {options.MaxBytes}.");
        }

        if (document.IsEmpty)
        {
            throw new FeedRejectedException("feeds.xml_malformed", "The document is empty.");
        }

        try
        {
            var text = Decode(document.Span);
            if (HasDoctype(text))
            {
                throw new FeedRejectedException("feeds.xml_dtd_forbidden", "DTDs (DOCTYPE) are not accepted: they can declare external or recursive entities.");
            }

            var settings = new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = options.MaxBytes,
                MaxCharactersFromEntities = 1024,
                IgnoreComments = true,
                IgnoreProcessingInstructions = true,
                IgnoreWhitespace = true,
            };

            // A streaming pass first: the depth limit must hold before anything builds a tree.
            using (var probe = XmlReader.Create(new StringReader(text), settings))
            {
                while (probe.Read())
                {
                    if (probe.NodeType == XmlNodeType.Element && probe.Depth >= options.MaxDepth)
                    {
                        throw new FeedRejectedException("feeds.too_deep", $"Elements are nested deeper than {options.MaxDepth}.");
                    }
                }
            }

            using var reader = XmlReader.Create(new StringReader(text), settings);
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (FeedRejectedException)
        {
            throw;
        }
        catch (DecoderFallbackException e)
        {
            throw new FeedRejectedException("feeds.encoding_invalid", "The bytes are not valid in the document's encoding.", e);
        }
        catch (XmlException e)
        {
            throw new FeedRejectedException("feeds.xml_malformed", $"The XML is malformed (line {e.LineNumber}, position {e.LinePosition}).", e);
        }
        catch (Exception e)
        {
            throw new FeedRejectedException("feeds.xml_malformed", "The XML could not be read.", e);
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            var text = Strict(new UTF8Encoding(false, true), bytes[3..]);
            RequireDeclared(text, "utf-8");
            return text;
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]) || bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])
            || bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x3C]) || bytes.StartsWith((ReadOnlySpan<byte>)[0x3C, 0x00, 0x00, 0x00]))
        {
            throw new FeedRejectedException("feeds.encoding_invalid", "UTF-32 documents are not accepted.");
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            var text = Strict(new UnicodeEncoding(bigEndian: bytes[0] == 0xFE, byteOrderMark: false, throwOnInvalidBytes: true), bytes[2..]);
            RequireDeclared(text, "utf-16");
            return text;
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x3C, 0x00, 0x3F, 0x00]) || bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x3C, 0x00, 0x3F]))
        {
            var text = Strict(new UnicodeEncoding(bigEndian: bytes[0] == 0x00, byteOrderMark: false, throwOnInvalidBytes: true), bytes);
            RequireDeclared(text, "utf-16");
            return text;
        }

        // ASCII-compatible: the declaration (if any) is readable byte for byte.
        var head = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, 256)]);
        var declared = DeclaredEncoding(head);
        var encoding = declared is null ? new UTF8Encoding(false, true) : Resolve(declared);
        return Strict(encoding, bytes);
    }

    private static string Strict(Encoding encoding, ReadOnlySpan<byte> bytes) => encoding.GetString(bytes);

    private static void RequireDeclared(string text, string family)
    {
        var declared = DeclaredEncoding(text.Length > 256 ? text[..256] : text);
        if (declared is null)
        {
            return;
        }

        var name = declared.ToLowerInvariant();
        var matches = family == "utf-8" ? name is "utf-8" or "utf8" : name is "utf-16" or "utf-16le" or "utf-16be" or "unicode";
        if (!matches)
        {
            throw new FeedRejectedException("feeds.encoding_invalid", $"The byte order mark says {family} but the declaration says '{Clip(declared)}'.");
        }
    }

    private static Encoding Resolve(string declared)
    {
        var strictDecoder = DecoderFallback.ExceptionFallback;
        switch (declared.ToLowerInvariant())
        {
            case "utf-8" or "utf8":
                return new UTF8Encoding(false, true);
            case "us-ascii" or "ascii":
                return Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, strictDecoder);
            case "iso-8859-1" or "latin1" or "iso_8859-1" or "latin-1":
                return Encoding.Latin1;
            case "shift_jis" or "shift-jis" or "sjis" or "x-sjis" or "windows-31j" or "cp932" or "ms_kanji" or "csshiftjis":
                return CodePages(932);
            case "euc-jp" or "x-euc-jp" or "eucjp":
                return CodePages(51932);
            case "iso-2022-jp" or "csiso2022jp":
                return CodePages(50220);
            case "utf-16" or "utf-16le" or "utf-16be" or "unicode":
                throw new FeedRejectedException("feeds.encoding_invalid", "The declaration says UTF-16 but the bytes are not UTF-16.");
            default:
                throw new FeedRejectedException("feeds.encoding_invalid", $"The declared encoding '{Clip(declared)}' is not supported.");
        }
    }

    // Legacy Japanese code pages without registering a process-wide provider.
    private static Encoding CodePages(int codePage) =>
        CodePagesEncodingProvider.Instance.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
        ?? throw new FeedRejectedException("feeds.encoding_invalid", $"Code page {codePage} is not available.");

    private static string? DeclaredEncoding(string head)
    {
        var m = DeclarationRegex().Match(head);
        return m.Success ? m.Groups["enc"].Value : null;
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40];

    /// <summary>Whether a DOCTYPE follows the prolog's comments, PIs and whitespace (the only place XML allows one).</summary>
    private static bool HasDoctype(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            else if (string.CompareOrdinal(text, i, "<?", 0, 2) == 0)
            {
                var end = text.IndexOf("?>", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return false;
                }

                i = end + 2;
            }
            else if (string.CompareOrdinal(text, i, "<!--", 0, 4) == 0)
            {
                var end = text.IndexOf("-->", i + 4, StringComparison.Ordinal);
                if (end < 0)
                {
                    return false;
                }

                i = end + 3;
            }
            else
            {
                return string.Compare(text, i, "<!DOCTYPE", 0, 9, StringComparison.OrdinalIgnoreCase) == 0;
            }
        }

        return false;
    }

    [GeneratedRegex("""^<\?xml[^>]*?\sencoding\s*=\s*(["'])(?<enc>[^"']{0,64})\1""", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex DeclarationRegex();
}

/// <summary>Turns any supported document (JMA Report, EDXL-DE with PCXML/JMA/CAP inside, SOAP-wrapped EDXL-DE, CAP 1.1/1.2) into a <see cref="HazardEvent"/>.</summary>
public static class FeedParser
{
    private static readonly XNamespace JmaReport = "http://xml.kishou.go.jp/jmaxml1/";
    private static readonly XNamespace Edxl = "urn:oasis:names:tc:emergency:EDXL:DE:1.0";
    private static readonly XNamespace Soap11 = "http://schemas.xmlsoap.org/soap/envelope/";
    private static readonly XNamespace Soap12 = "http://www.w3.org/2003/05/soap-envelope";

    /// <summary>Sniffs the root and parses. Throws only <see cref="FeedRejectedException"/>.</summary>
    /// <param name="expected">When given, a document of another source is rejected with <c>feeds.unrecognized</c>.</param>
    public static HazardEvent Parse(ReadOnlyMemory<byte> document, FeedSource? expected = null, SafeXmlOptions? options = null)
    {
        var doc = SafeXml.Load(document, options);
        try
        {
            var (source, parse) = Sniff(doc.Root!);
            if (expected is { } want && want != source)
            {
                throw new FeedRejectedException("feeds.unrecognized", $"Expected a {want} document but this is {source}.");
            }

            return parse();
        }
        catch (FeedRejectedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new FeedRejectedException("feeds.invalid", $"The document could not be interpreted ({e.GetType().Name}).", e);
        }
    }

    private static (FeedSource Source, Func<HazardEvent> Parse) Sniff(XElement root)
    {
        if (root.Name == JmaReport + "Report")
        {
            return (FeedSource.Jma, () => JmaParser.Parse(new XDocument(root)));
        }

        if (root.Name == Soap11 + "Envelope" || root.Name == Soap12 + "Envelope")
        {
            var body = root.Element(root.Name.Namespace + "Body")
                ?? throw new FeedRejectedException("feeds.unrecognized", "A SOAP envelope without a Body.");
            var distribution = body.Descendants(Edxl + "EDXLDistribution").FirstOrDefault()
                ?? throw new FeedRejectedException("feeds.unrecognized", "The SOAP body carries no EDXL-DE distribution.");
            return SniffDistribution(distribution);
        }

        if (root.Name == Edxl + "EDXLDistribution")
        {
            return SniffDistribution(root);
        }

        if (CapParser.IsAlert(root))
        {
            return (FeedSource.Cap, () => CapParser.Parse(root));
        }

        throw new FeedRejectedException("feeds.unrecognized", "Not a JMA report, an EDXL-DE (L-Alert) distribution or a CAP alert.");
    }

    private static (FeedSource Source, Func<HazardEvent> Parse) SniffDistribution(XElement distribution)
    {
        var envelopeStatus = LAlertParser.EnvelopeOperational(distribution);
        foreach (var embedded in distribution.Elements().Where(e => e.Name.LocalName == "contentObject")
                     .SelectMany(c => c.Elements().Where(e => e.Name.LocalName == "xmlContent"))
                     .SelectMany(x => x.Elements().Where(e => e.Name.LocalName == "embeddedXMLContent"))
                     .SelectMany(x => x.Elements()))
        {
            if (LAlertParser.IsPcxmlReport(embedded))
            {
                return (FeedSource.LAlert, () => LAlertParser.Parse(distribution, embedded));
            }

            if (embedded.Name == JmaReport + "Report")
            {
                return (FeedSource.LAlert, () => RelayedJma(embedded, envelopeStatus));
            }

            if (CapParser.IsAlert(embedded))
            {
                return (FeedSource.Cap, () =>
                {
                    var cap = CapParser.Parse(embedded);
                    return cap with { Operational = FeedXml.Stricter(cap.Operational, envelopeStatus ?? cap.Operational) };
                });
            }
        }

        if (LAlertParser.IsCommonsEnvelope(distribution))
        {
            return (FeedSource.LAlert, () => LAlertParser.Parse(distribution, null));
        }

        throw new FeedRejectedException("feeds.unrecognized", "The EDXL-DE distribution carries neither PCXML, JMA XML nor CAP.");
    }

    // L-Alert relays JMA telegrams: routed as L-Alert (it arrived that way) but keeping the JMA interpretation,
    // so ingest can drop it when the same JMA series also arrives directly (reference/feeds.md §5.5).
    private static HazardEvent RelayedJma(XElement report, Operational? envelopeStatus)
    {
        var jma = JmaParser.Parse(new XDocument(new XElement(report)));
        var family = jma.Family.StartsWith("JMA:", StringComparison.Ordinal) ? jma.Family[4..] : jma.Family;
        return jma with
        {
            Source = FeedSource.LAlert,
            Family = "LALERT:JMA:" + family,
            Operational = FeedXml.Stricter(jma.Operational, envelopeStatus ?? jma.Operational),
        };
    }
}

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
