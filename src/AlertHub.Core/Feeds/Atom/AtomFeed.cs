using System.Globalization;
using System.Text;
using System.Xml;

namespace AlertHub.Core.Feeds.Atom;

/// <summary>One entry of an Atom feed, as written (nothing is inferred from the URL's name).</summary>
/// <param name="Id">The entry id: the data URL in today's JMA feeds, a <c>urn:uuid:</c> in older ones.</param>
/// <param name="Updated">As written, offset kept (JMA entries are UTC, the feed itself JST).</param>
/// <param name="LinkHref">The first <c>link</c> with no <c>rel</c> or <c>rel="alternate"</c>.</param>
/// <param name="Author">The first <c>author/name</c>.</param>
/// <param name="Content"><c>content</c>, or <c>summary</c> when there is no content.</param>
public sealed record AtomEntry(string Id, string? Title, DateTimeOffset? Updated, string? LinkHref, string? Author, string? Content)
{
    /// <summary>
    /// Where the announced document lives: the link when it is an absolute http(s) URL, else the id when it is one,
    /// else null (an opaque id with no usable link cannot be fetched).
    /// </summary>
    public string? DataUrl => IsHttpUrl(LinkHref) ? LinkHref : IsHttpUrl(Id) ? Id : null;

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>A parsed Atom feed.</summary>
/// <param name="SelfLink">The <c>rel="self"</c> link as written; JMA's long feeds still name the short feed here.</param>
/// <param name="SkippedEntries">Entries with neither an id nor a link, which cannot be deduplicated or fetched.</param>
public sealed record AtomFeedDocument(string? Id, string? Title, DateTimeOffset? Updated, string? SelfLink, IReadOnlyList<AtomEntry> Entries, int SkippedEntries);

/// <summary>
/// Streaming reader for the Atom PULL feeds JMA publishes (and any other Atom 1.0 feed). The long feeds are
/// megabytes, so entries are read one by one from an <see cref="XmlReader"/>; DTDs and external resources are
/// refused as in <see cref="SafeXml"/>.
/// </summary>
public static class AtomFeed
{
    /// <summary>The Atom 1.0 namespace.</summary>
    public const string Namespace = "http://www.w3.org/2005/Atom";

    /// <summary>Deepest element nesting accepted; an Atom feed needs about five levels.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Reads a feed. Throws only <see cref="FeedRejectedException"/>: <c>feeds.too_large</c> past
    /// <paramref name="maxBytes"/>, <c>feeds.xml_dtd_forbidden</c>, <c>feeds.too_deep</c>, <c>feeds.xml_malformed</c>
    /// (including truncation and bad encodings), <c>feeds.unrecognized</c> when the root is not an Atom feed.
    /// </summary>
    public static AtomFeedDocument Parse(Stream stream, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek && stream.Length - stream.Position > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var limited = new LimitedStream(stream, maxBytes);
        try
        {
            using var reader = XmlReader.Create(limited, Settings);
            return ReadFeed(reader);
        }
        catch (LimitExceededException)
        {
            throw TooLarge(maxBytes);
        }
        catch (XmlException e) when (IsDtd(e, limited))
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedDtdForbidden, "Documents with a DTD are not accepted.", e);
        }
        catch (XmlException e)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedXmlMalformed, $"The feed is not well-formed XML: {e.Message}", e);
        }
        catch (Exception e) when (e is DecoderFallbackException or ArgumentException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedXmlMalformed, $"The feed could not be read: {e.Message}", e);
        }
    }

    /// <summary>Reads a feed held in memory; see <see cref="Parse(Stream, long)"/>.</summary>
    public static AtomFeedDocument Parse(ReadOnlyMemory<byte> document, long maxBytes)
    {
        if (document.Length > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        using var stream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(document, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(document.ToArray(), writable: false);
        return Parse(stream, maxBytes);
    }

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = false,
        MaxCharactersFromEntities = 0,
    };

    private static FeedRejectedException TooLarge(long maxBytes) =>
        new(CoreErrorCodes.FeedTooLarge, $"The feed is larger than {maxBytes.ToString(CultureInfo.InvariantCulture)} bytes.");

    // The prohibition message is not localised in .NET; the prolog check catches a DOCTYPE even if it were.
    private static bool IsDtd(XmlException e, LimitedStream stream) =>
        e.Message.Contains("DTD", StringComparison.Ordinal) || stream.PrologHasDoctype();

    private static AtomFeedDocument ReadFeed(XmlReader reader)
    {
        if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "feed" || reader.NamespaceURI != Namespace)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedUnrecognized, $"Expected an Atom <feed>, found <{reader.LocalName}> in '{reader.NamespaceURI}'.");
        }

        string? id = null, title = null, self = null;
        DateTimeOffset? updated = null;
        var entries = new List<AtomEntry>();
        var skipped = 0;
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return new AtomFeedDocument(null, null, null, null, entries, 0);
        }

        reader.Read();
        while (reader.MoveToContent() == XmlNodeType.Element)
        {
            CheckDepth(reader);
            if (reader.NamespaceURI != Namespace)
            {
                reader.Skip();
                continue;
            }

            switch (reader.LocalName)
            {
                case "entry":
                    if (ReadEntry(reader) is { } entry)
                    {
                        entries.Add(entry);
                    }
                    else
                    {
                        skipped++;
                    }

                    break;
                case "id":
                    id = ReadText(reader).Trim();
                    break;
                case "title":
                    title = ReadText(reader).Trim();
                    break;
                case "updated":
                    updated = ParseTime(ReadText(reader));
                    break;
                case "link":
                    if (reader.GetAttribute("rel") == "self")
                    {
                        self ??= reader.GetAttribute("href")?.Trim();
                    }

                    reader.Skip();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (reader.NodeType != XmlNodeType.EndElement)
        {
            throw new XmlException("Unexpected end of the feed.");
        }

        // Anything after </feed> other than whitespace and comments is malformed; reading to the end proves it.
        while (reader.Read())
        {
        }

        return new AtomFeedDocument(id, title, updated, self, entries, skipped);
    }

    private static AtomEntry? ReadEntry(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return null;
        }

        string? id = null, title = null, link = null, author = null, content = null, summary = null;
        DateTimeOffset? updated = null;
        reader.Read();
        while (reader.MoveToContent() == XmlNodeType.Element)
        {
            CheckDepth(reader);
            if (reader.NamespaceURI != Namespace)
            {
                reader.Skip();
                continue;
            }

            switch (reader.LocalName)
            {
                case "id":
                    id ??= ReadText(reader).Trim();
                    break;
                case "title":
                    title ??= ReadText(reader).Trim();
                    break;
                case "updated":
                    updated ??= ParseTime(ReadText(reader));
                    break;
                case "link":
                    if (reader.GetAttribute("rel") is null or "alternate")
                    {
                        link ??= reader.GetAttribute("href")?.Trim();
                    }

                    reader.Skip();
                    break;
                case "author":
                    var name = ReadAuthorName(reader);
                    author ??= name;
                    break;
                case "content":
                    content ??= ReadText(reader);
                    break;
                case "summary":
                    summary ??= ReadText(reader);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (reader.NodeType != XmlNodeType.EndElement)
        {
            throw new XmlException("Unexpected end inside an entry.");
        }

        reader.Read();
        if (string.IsNullOrEmpty(id))
        {
            id = string.IsNullOrEmpty(link) ? null : link;
        }

        return id is null ? null : new AtomEntry(id, title, updated, string.IsNullOrEmpty(link) ? null : link, author, content ?? summary);
    }

    private static string? ReadAuthorName(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return null;
        }

        string? name = null;
        reader.Read();
        while (reader.MoveToContent() == XmlNodeType.Element)
        {
            CheckDepth(reader);
            if (reader.LocalName == "name" && reader.NamespaceURI == Namespace)
            {
                name ??= ReadText(reader).Trim();
            }
            else
            {
                reader.Skip();
            }
        }

        if (reader.NodeType != XmlNodeType.EndElement)
        {
            throw new XmlException("Unexpected end inside an author.");
        }

        reader.Read();
        return name;
    }

    /// <summary>All text below the current element (xhtml content included), leaving the reader after it.</summary>
    private static string ReadText(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return "";
        }

        var depth = reader.Depth;
        string? single = null;
        StringBuilder? many = null;
        while (reader.Read() && reader.Depth > depth)
        {
            if (reader.Depth > MaxDepth)
            {
                throw new FeedRejectedException(CoreErrorCodes.FeedTooDeep, $"The feed nests deeper than {MaxDepth} elements.");
            }

            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace or XmlNodeType.Whitespace)
            {
                if (single is null)
                {
                    single = reader.Value;
                }
                else
                {
                    many ??= new StringBuilder(single);
                    many.Append(reader.Value);
                }
            }
        }

        if (reader.NodeType != XmlNodeType.EndElement || reader.Depth != depth)
        {
            throw new XmlException("Unexpected end of the feed.");
        }

        reader.Read();
        return many?.ToString() ?? single ?? "";
    }

    private static void CheckDepth(XmlReader reader)
    {
        if (reader.Depth > MaxDepth)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedTooDeep, $"The feed nests deeper than {MaxDepth} elements.");
        }
    }

    // A feed with one unreadable time is still useful; the entry keeps a null time rather than losing the entry.
    private static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var value) ? value : null;

    private sealed class LimitExceededException : Exception;

    /// <summary>A read-only view that stops at a byte limit and remembers the first bytes (for the DTD check).</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private const int PrologBytes = 4096;
        private readonly byte[] _prolog = new byte[PrologBytes];
        private int _prologLength;
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public bool PrologHasDoctype() =>
            Encoding.UTF8.GetString(_prolog, 0, _prologLength).Contains("<!DOCTYPE", StringComparison.OrdinalIgnoreCase);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // Ask for one byte past the limit so a document of exactly the limit passes and one byte more does not.
            var allowed = (int)Math.Min(buffer.Length, limit - _read + 1);
            if (allowed <= 0)
            {
                throw new LimitExceededException();
            }

            var n = inner.Read(buffer[..allowed]);
            if (_prologLength < PrologBytes && n > 0)
            {
                var take = Math.Min(n, PrologBytes - _prologLength);
                buffer[..take].CopyTo(_prolog.AsSpan(_prologLength));
                _prologLength += take;
            }

            _read += n;
            if (_read > limit)
            {
                throw new LimitExceededException();
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
