using System.Xml.Linq;

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
public static class SafeXml
{
    /// <summary>Loads a document or throws <see cref="FeedRejectedException"/> with a stable code; never anything else.</summary>
    public static XDocument Load(ReadOnlyMemory<byte> document, SafeXmlOptions? options = null) => throw new NotImplementedException();
}

/// <summary>Turns any supported document (JMA Report, EDXL-DE with PCXML/JMA/CAP inside, SOAP-wrapped EDXL-DE, CAP 1.1/1.2) into a <see cref="HazardEvent"/>.</summary>
public static class FeedParser
{
    /// <summary>Sniffs the root and parses. Throws only <see cref="FeedRejectedException"/>.</summary>
    /// <param name="expected">When given, a document of another source is rejected with <c>feeds.unrecognized</c>.</param>
    public static HazardEvent Parse(ReadOnlyMemory<byte> document, FeedSource? expected = null, SafeXmlOptions? options = null) => throw new NotImplementedException();
}
