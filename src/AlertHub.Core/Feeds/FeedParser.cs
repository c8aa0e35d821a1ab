using System.Xml.Linq;
using AlertHub.Core.Feeds.Cap;
using AlertHub.Core.Feeds.Jma;
using AlertHub.Core.Feeds.LAlert;

namespace AlertHub.Core.Feeds;

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
                throw new FeedRejectedException(CoreErrorCodes.FeedUnrecognized, $"Expected a {want} document but this is {source}.");
            }

            return parse();
        }
        catch (FeedRejectedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedInvalid, $"The document could not be interpreted ({e.GetType().Name}).", e);
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
                ?? throw new FeedRejectedException(CoreErrorCodes.FeedUnrecognized, "A SOAP envelope without a Body.");
            var distribution = body.Descendants(Edxl + "EDXLDistribution").FirstOrDefault()
                ?? throw new FeedRejectedException(CoreErrorCodes.FeedUnrecognized, "The SOAP body carries no EDXL-DE distribution.");
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

        throw new FeedRejectedException(CoreErrorCodes.FeedUnrecognized, "Not a JMA report, an EDXL-DE (L-Alert) distribution or a CAP alert.");
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

        throw new FeedRejectedException(CoreErrorCodes.FeedUnrecognized, "The EDXL-DE distribution carries neither PCXML, JMA XML nor CAP.");
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
