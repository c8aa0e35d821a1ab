using System.Text;
using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.Jma;
using AlertHub.Tests.Shared;

namespace AlertHub.UnitTests.Feeds.Jma;

/// <summary>
/// Damaged fixtures (truncated, bytes flipped, elements swapped) must either parse or be rejected with
/// <see cref="FeedRejectedException"/>; nothing else may escape. Bounded counts and fixed seeds keep it repeatable.
/// </summary>
public sealed class JmaFuzzTests
{
    private const int TruncationsPerFile = 12;
    private const int MutationsPerFile = 40;

    private static IEnumerable<(string Name, byte[] Bytes)> Fixtures() =>
        Directory.GetFiles(SharedData.Path("fixtures", "feeds", "jma")!, "*.xml")
            .Order(StringComparer.Ordinal)
            .Select(path => (Path.GetFileName(path), File.ReadAllBytes(path)));

    [SharedDataFact]
    public void Parse_RandomTruncations_ParseOrFeedRejectedOnly()
    {
        var random = new Random(20260601);
        var parsed = 0;
        var rejected = 0;
        foreach (var (name, bytes) in Fixtures())
        {
            for (var i = 0; i < TruncationsPerFile; i++)
            {
                var cut = bytes.AsSpan(0, random.Next(0, bytes.Length)).ToArray();
                Tally(ParseOrReject(cut, $"{name} cut at {cut.Length}"), ref parsed, ref rejected);
            }
        }

        // A truncated document is malformed XML almost always: the loader, not the parser, must refuse it.
        Assert.True(rejected > 0);
    }

    [SharedDataFact]
    public void Parse_RandomByteMutations_ParseOrFeedRejectedOnly()
    {
        var random = new Random(6709);
        var parsed = 0;
        var rejected = 0;
        foreach (var (name, bytes) in Fixtures())
        {
            for (var i = 0; i < MutationsPerFile; i++)
            {
                var mutated = (byte[])bytes.Clone();
                var flips = random.Next(1, 4);
                for (var f = 0; f < flips; f++)
                {
                    var at = random.Next(mutated.Length);
                    mutated[at] = random.Next(3) switch
                    {
                        0 => (byte)random.Next(256),
                        1 => (byte)"<>/&\"'-+0123456789 "[random.Next(19)],
                        _ => (byte)(mutated[at] ^ (1 << random.Next(8))),
                    };
                }

                Tally(ParseOrReject(mutated, $"{name} mutation {i}"), ref parsed, ref rejected);
            }
        }

        // Most single-byte flips land in text content and leave a well-formed telegram; both outcomes must occur.
        Assert.True(parsed > 0);
        Assert.True(rejected > 0);
    }

    [SharedDataFact]
    public void Parse_StructurallyDamagedButWellFormed_ParseOrFeedRejectedOnly()
    {
        // Well-formed XML with the wrong things in the wrong places: values the parser must survive after the loader passed them.
        var random = new Random(42);
        string[] junk = ["", " ", "NaN", "-1", "99999999999999999999", "震度５弱以上未入電", "+999.9+999.9-99999999/", "２", "5-?", "取消", "<x/>"];
        var parsed = 0;
        var rejected = 0;
        foreach (var (name, bytes) in Fixtures())
        {
            var text = Encoding.UTF8.GetString(bytes);
            for (var i = 0; i < 20; i++)
            {
                var damaged = ReplaceRandomElementText(text, random, junk[random.Next(junk.Length)]);
                Tally(ParseOrReject(Encoding.UTF8.GetBytes(damaged), $"{name} damage {i}"), ref parsed, ref rejected);
            }
        }

        Assert.True(parsed > 0);
    }

    private static bool ParseOrReject(byte[] document, string what)
    {
        System.Xml.Linq.XDocument loaded;
        try
        {
            loaded = JmaTestXml.Load(document);
        }
        catch (FeedRejectedException ex)
        {
            Assert.Equal("feeds.xml_malformed", ex.Code);
            return false;
        }

        try
        {
            var e = JmaParser.Parse(loaded);
            Assert.NotNull(e.SeriesKey);
            Assert.NotNull(e.Areas);
            return true;
        }
        catch (FeedRejectedException ex)
        {
            // The parser's own checks reject without an inner exception; one there means its safety net caught a bug.
            Assert.True(ex.InnerException is null, $"{what}: parser failed internally: {ex.InnerException}");
            Assert.Contains(ex.Code, new[] { "feeds.invalid", "feeds.unrecognized" });
            return false;
        }
        catch (Exception ex)
        {
            Assert.Fail($"{what}: {ex.GetType().Name} escaped: {ex.Message}");
            return false;
        }
    }

    private static void Tally(bool ok, ref int parsed, ref int rejected)
    {
        if (ok)
        {
            parsed++;
        }
        else
        {
            rejected++;
        }
    }

    /// <summary>Replaces the text of one leaf element (the text between a '&gt;' and the next '&lt;/').</summary>
    private static string ReplaceRandomElementText(string xml, Random random, string replacement)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var close = xml.IndexOf("</", random.Next(xml.Length), StringComparison.Ordinal);
            if (close < 0)
            {
                continue;
            }

            var open = xml.LastIndexOf('>', close);
            if (open < 0 || xml.AsSpan(open + 1, close - open - 1).Contains('<'))
            {
                continue;
            }

            return string.Concat(xml.AsSpan(0, open + 1), replacement, xml.AsSpan(close));
        }

        return xml;
    }
}
