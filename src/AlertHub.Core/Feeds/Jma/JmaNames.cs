using System.Xml.Linq;

namespace AlertHub.Core.Feeds.Jma;

/// <summary>
/// The JMA XML namespaces. Every part re-declares a default namespace and prefixes vary between senders,
/// so elements are always resolved by URI, never by prefix or by local name alone.
/// </summary>
internal static class JmaNames
{
    public static readonly XNamespace Jmx = "http://xml.kishou.go.jp/jmaxml1/";
    public static readonly XNamespace Ib = "http://xml.kishou.go.jp/jmaxml1/informationBasis1/";
    public static readonly XNamespace Mete = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/";
    public static readonly XNamespace Seis = "http://xml.kishou.go.jp/jmaxml1/body/seismology1/";
    public static readonly XNamespace Eb = "http://xml.kishou.go.jp/jmaxml1/elementBasis1/";

    public static readonly XName Report = Jmx + "Report";
}
