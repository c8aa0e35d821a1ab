using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace AlertHub.Core.Feeds;

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
            throw new FeedRejectedException(CoreErrorCodes.FeedTooLarge, $"The document is {document.Length} bytes; the limit is {options.MaxBytes}.");
        }

        if (document.IsEmpty)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedXmlMalformed, "The document is empty.");
        }

        try
        {
            var text = Decode(document.Span);
            if (HasDoctype(text))
            {
                throw new FeedRejectedException(CoreErrorCodes.FeedDtdForbidden, "DTDs (DOCTYPE) are not accepted: they can declare external or recursive entities.");
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
                        throw new FeedRejectedException(CoreErrorCodes.FeedTooDeep, $"Elements are nested deeper than {options.MaxDepth}.");
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
            throw new FeedRejectedException(CoreErrorCodes.FeedEncodingInvalid, "The bytes are not valid in the document's encoding.", e);
        }
        catch (XmlException e)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedXmlMalformed, $"The XML is malformed (line {e.LineNumber}, position {e.LinePosition}).", e);
        }
        catch (Exception e)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedXmlMalformed, "The XML could not be read.", e);
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
            throw new FeedRejectedException(CoreErrorCodes.FeedEncodingInvalid, "UTF-32 documents are not accepted.");
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
            throw new FeedRejectedException(CoreErrorCodes.FeedEncodingInvalid, $"The byte order mark says {family} but the declaration says '{Clip(declared)}'.");
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
                throw new FeedRejectedException(CoreErrorCodes.FeedEncodingInvalid, "The declaration says UTF-16 but the bytes are not UTF-16.");
            default:
                throw new FeedRejectedException(CoreErrorCodes.FeedEncodingInvalid, $"The declared encoding '{Clip(declared)}' is not supported.");
        }
    }

    // Legacy Japanese code pages without registering a process-wide provider.
    private static Encoding CodePages(int codePage) =>
        CodePagesEncodingProvider.Instance.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
        ?? throw new FeedRejectedException(CoreErrorCodes.FeedEncodingInvalid, $"Code page {codePage} is not available.");

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
