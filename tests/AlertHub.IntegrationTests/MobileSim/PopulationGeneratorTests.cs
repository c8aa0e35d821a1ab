using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Population;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>mobile-sim's seeded population: determinism, placement, mix and webhook secrets.</summary>
public sealed class PopulationGeneratorTests
{
    private const int Seed = 42;

    private static readonly Lazy<DemoAreaSet> Areas = new(DemoAreaSet.FromGenerator);

    private static readonly Lazy<IReadOnlyList<SimResident>> Population = new(() => Generate(Seed));

    private static IReadOnlyList<SimResident> Generate(int seed) =>
        PopulationGenerator.Generate(new PopulationOptions(5000, seed), Areas.Value);

    private static byte[] Ndjson(IReadOnlyList<SimResident> population)
    {
        using var ms = new MemoryStream();
        ImportNdjson.Write(ms, population, "http://127.0.0.1:0/hook/");
        return ms.ToArray();
    }

    [Fact]
    public void PopulationGenerator_SameSeed_GivesIdenticalNdjson()
    {
        var first = Ndjson(Generate(Seed));
        var second = Ndjson(Generate(Seed));

        Assert.True(first.AsSpan().SequenceEqual(second), $"seed {Seed} gave different NDJSON on two runs ({first.Length} vs {second.Length} bytes)");
    }

    [Fact]
    public void PopulationGenerator_DifferentSeed_GivesDifferentNdjson()
    {
        var first = Ndjson(Generate(Seed));
        var other = Ndjson(Generate(Seed + 1));

        Assert.False(first.AsSpan().SequenceEqual(other), $"seeds {Seed} and {Seed + 1} gave identical NDJSON");
    }

    [Fact]
    public void PopulationGenerator_OutsideResidents_AreOneToTwoPercentWithEveryPlaceOutsideTheCity()
    {
        var outside = Population.Value.Where(r => r.PlacedOutsideCity).ToList();

        Assert.InRange(outside.Count, 50, 100);
        Assert.All(outside, r => Assert.All(r.Places, p =>
        {
            Assert.False(Areas.Value.CityCovers(p.Lat, p.Lon), $"{r.ExternalId} {p.Label} at {p.Lat}, {p.Lon} is inside the city");
            Assert.True(p.Lat > 39.41, $"{r.ExternalId} {p.Label} at latitude {p.Lat} should be north of 39.41");
        }));
    }

    [Fact]
    public void PopulationGenerator_InsideResidents_HaveEveryPlaceInsideTheCity()
    {
        Assert.All(Population.Value.Where(r => !r.PlacedOutsideCity), r => Assert.All(r.Places, p =>
            Assert.True(Areas.Value.CityCovers(p.Lat, p.Lon), $"{r.ExternalId} {p.Label} at {p.Lat}, {p.Lon} is outside the city")));
    }

    [Fact]
    public void PopulationGenerator_EveryResident_HasOneToThreePlacesWithHomeFirst()
    {
        Assert.All(Population.Value, r =>
        {
            Assert.InRange(r.Places.Count, 1, 3);
            Assert.Equal("home", r.Places[0].Label);
        });
    }

    [Theory]
    [InlineData("elderly", 40, 3)]
    [InlineData("children", 15, 2)]
    [InlineData("ja", 93, 1.5)]
    [InlineData("signalr", 50, 3)]
    public void PopulationGenerator_Shares_AreNearTheTargetMix(string trait, double expectedPercent, double tolerancePoints)
    {
        Func<SimResident, bool> has = trait switch
        {
            "elderly" or "children" => r => r.HouseholdTags.Contains(trait),
            "ja" => r => r.Language == "ja",
            "signalr" => r => r.Channel == SimChannels.SignalR,
            _ => throw new ArgumentOutOfRangeException(nameof(trait), trait, "unknown trait"),
        };

        var percent = 100.0 * Population.Value.Count(has) / Population.Value.Count;

        Assert.True(Math.Abs(percent - expectedPercent) < tolerancePoints,
            $"{trait} share {percent:0.0} %, expected {expectedPercent} ± {tolerancePoints} %");
    }

    [Fact]
    public void PopulationGenerator_WebhookResidents_HaveSeedDerivedSecretsAndSignalRResidentsNone()
    {
        Assert.All(Population.Value, r =>
        {
            if (r.Channel == SimChannels.Webhook)
            {
                Assert.Equal(WebhookSecrets.Derive(Seed, r.ExternalId), r.WebhookSecret);
            }
            else
            {
                Assert.Null(r.WebhookSecret);
            }
        });
    }

    [Fact]
    public void WebhookSecrets_Derive_DependsOnTheSeed()
    {
        Assert.NotEqual(WebhookSecrets.Derive(42, "sim-000001"), WebhookSecrets.Derive(43, "sim-000001"));
    }
}
