using System.Xml.Linq;

namespace AlertHub.Core.Feeds.Jma;

// TEMPORARY stand-in so the feeds-lalert branch compiles: the JMA engineer's JmaParser replaces this file on merge.
internal static class JmaParser
{
    public static HazardEvent Parse(XDocument report) =>
        throw new FeedRejectedException("feeds.unrecognized", "JMA parser not merged yet");
}
