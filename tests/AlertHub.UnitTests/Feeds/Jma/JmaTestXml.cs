using System.Text;
using System.Xml;
using System.Xml.Linq;
using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.Jma;
using AlertHub.Tests.Shared;

namespace AlertHub.UnitTests.Feeds.Jma;

/// <summary>
/// Test-only stand-in for SafeXml (written elsewhere): DTDs prohibited, no resolver, and every load failure surfaces
/// as <see cref="FeedRejectedException"/> exactly as the real loader promises.
/// </summary>
internal static class JmaTestXml
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = 5 * 1024 * 1024,
    };

    public static XDocument Load(byte[] document)
    {
        try
        {
            using var stream = new MemoryStream(document, writable: false);
            using var reader = XmlReader.Create(stream, Settings);
            return XDocument.Load(reader);
        }
        catch (Exception ex) when (ex is XmlException or DecoderFallbackException or ArgumentException or InvalidOperationException)
        {
            throw new FeedRejectedException("feeds.xml_malformed", ex.Message, ex);
        }
    }

    public static XDocument Load(string xml) => Load(Encoding.UTF8.GetBytes(xml));

    public static string FixturePath(string name) =>
        SharedData.Path("fixtures", "feeds", "jma", name) ?? throw new FileNotFoundException("JMA fixture missing", name);

    public static HazardEvent ParseFixture(string name) => JmaParser.Parse(Load(File.ReadAllBytes(FixturePath(name))));

    public static HazardEvent Parse(string xml) => JmaParser.Parse(Load(xml));

    public static EventArea Area(this HazardEvent e, string code) => e.Areas.Single(a => a.Code == code);
}
