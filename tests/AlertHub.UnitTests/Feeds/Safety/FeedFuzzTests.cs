using AlertHub.Core.Feeds;
using AlertHub.Tests.Shared;
using Xunit.Abstractions;

namespace AlertHub.UnitTests.Feeds.Safety;

/// <summary>
/// Bounded, seeded damage to every L-Alert and CAP fixture: truncations, byte overwrites, deleted and duplicated
/// ranges. Each result is either a <see cref="FeedRejectedException"/> with a documented code or a usable event.
/// </summary>
public sealed class FeedFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Codes =
    [
        "feeds.xml_dtd_forbidden", "feeds.too_large", "feeds.too_deep", "feeds.xml_malformed",
        "feeds.encoding_invalid", "feeds.unrecognized", "feeds.invalid",
    ];

    [SharedDataFact]
    public void DamagedFixtures_FixedSeeds_OnlyRejectOrYieldAValidEvent()
    {
        var outcomes = new Dictionary<string, int>();
        var files = FeedFixtures.Files("lalert").Select(f => ("lalert", f)).Concat(FeedFixtures.Files("cap").Select(f => ("cap", f))).ToList();
        Assert.Equal(18, files.Count);

        for (var fileIndex = 0; fileIndex < files.Count; fileIndex++)
        {
            var (folder, file) = files[fileIndex];
            var original = FeedFixtures.Read(folder, file);
            var random = new Random(7919 * (fileIndex + 1));
            for (var round = 0; round < 120; round++)
            {
                var damaged = Damage(original, random, round % 4);
                var outcome = Run(damaged, $"{folder}/{file} round {round}");
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }

        output.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}")));

        // The damage must actually reach the parsers, not only the XML reader.
        Assert.True(outcomes.GetValueOrDefault("ok") > 100, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("feeds.xml_malformed") > 100, string.Join(", ", outcomes));
    }

    private static byte[] Damage(byte[] original, Random random, int kind)
    {
        switch (kind)
        {
            case 0:
                return original[..random.Next(0, original.Length)];
            case 1:
            {
                var copy = (byte[])original.Clone();
                for (var i = random.Next(1, 9); i > 0; i--)
                {
                    copy[random.Next(copy.Length)] = (byte)random.Next(256);
                }

                return copy;
            }

            case 2:
            {
                var start = random.Next(original.Length);
                var length = random.Next(1, Math.Min(200, original.Length - start) + 1);
                return [.. original[..start], .. original[(start + length)..]];
            }

            default:
            {
                // Overwrite a digit or letter with another of its kind: damage that often stays well-formed.
                var copy = (byte[])original.Clone();
                for (var i = random.Next(1, 5); i > 0; i--)
                {
                    var at = random.Next(copy.Length);
                    copy[at] = copy[at] switch
                    {
                        >= (byte)'0' and <= (byte)'9' => (byte)random.Next('0', '9' + 1),
                        >= (byte)'a' and <= (byte)'z' => (byte)random.Next('a', 'z' + 1),
                        _ => copy[at],
                    };
                }

                return copy;
            }
        }
    }

    private static string Run(byte[] document, string label)
    {
        HazardEvent e;
        try
        {
            e = FeedParser.Parse(document);
        }
        catch (FeedRejectedException ex)
        {
            Assert.True(Codes.Contains(ex.Code), $"{label}: unknown code {ex.Code}");
            return ex.Code;
        }
        catch (Exception ex)
        {
            Assert.Fail($"{label}: {ex.GetType().Name} escaped: {ex.Message}");
            throw;
        }

        Assert.False(string.IsNullOrWhiteSpace(e.SeriesKey), label);
        Assert.False(string.IsNullOrWhiteSpace(e.Revision), label);
        Assert.NotEmpty(e.Texts);
        Assert.False(string.IsNullOrWhiteSpace(e.MainText.Headline), label);
        Assert.True(Enum.IsDefined(e.Lifecycle) && Enum.IsDefined(e.Operational) && Enum.IsDefined(e.Severity), label);
        Assert.All(e.Areas, a => Assert.False(string.IsNullOrWhiteSpace(a.Code), label));
        Assert.All(e.Shapes, s => Assert.True(s.Polygon is not null ^ (s.Lat is not null && s.Lon is not null && s.RadiusMeters >= 0), label));
        return "ok";
    }
}
