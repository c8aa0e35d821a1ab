using AlertHub.Tests.Shared;
using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Population;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>The scenario populations (Yokote around 町字 points, Akita by municipality, synthetic): determinism, placement, shares.</summary>
public sealed class ScenarioPopulationTests
{
    private static readonly Lazy<DemoAreaSet> Areas = new(DemoAreaSet.FromGenerator);

    [Fact]
    public void YokoteTowns_HomesAroundTownPoints_AreInsideTheCityAndDeterministic()
    {
        var towns = SharedData.Path("geo", "subareas", "yokote_town_points.geojson");
        if (towns is null)
        {
            return; // No shared folder on this machine: the demo-district method is covered elsewhere.
        }

        var options = new PopulationOptions(4000, 9, TownsFile: towns);
        var first = PopulationGenerator.Generate(options, Areas.Value);
        var second = PopulationGenerator.Generate(options, Areas.Value);

        Assert.Equal(first.Select(Describe), second.Select(Describe));
        Assert.All(first.Where(r => !r.PlacedOutsideCity), r => Assert.All(r.Places, p => Assert.True(Areas.Value.CityCovers(p.Lat, p.Lon))));
        Assert.All(first, r => Assert.InRange(r.Places.Count, 1, 3));
        Assert.InRange(100.0 * first.Count(r => r.HouseholdTags.Contains("elderly")) / first.Count, 37, 43);
        // 町丁目 weigh four times a 小字 with a tighter scatter: the centre (中央町 ≈ 39.3154, 140.5654) is dense.
        var nearCentre = first.Count(r => Haversine.DistanceMeters(39.3154, 140.5654, r.Places[0].Lat, r.Places[0].Lon) < 1500);
        Assert.True(nearCentre > first.Count / 50, $"only {nearCentre} homes within 1.5 km of the centre");
    }

    [Fact]
    public void Akita_FromTheIndex_PlacesResidentsInEveryMunicipalityByWeight()
    {
        var index = SharedData.Path("geo", "akita_municipality_index.csv");
        var population = PopulationGenerator.Generate(new PopulationOptions(20_000, 4, Kind: PopulationKind.Akita, MunicipalitiesFile: index), Areas.Value);

        var byCode = population.GroupBy(r => r.Municipality!).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(byCode.Keys, code => Assert.Matches(@"^\d{5}$", code));
        Assert.Equal(0, population.Count(r => r.PlacedOutsideCity));
        if (index is not null)
        {
            Assert.True(byCode.Count >= 24, $"only {byCode.Count} municipalities");
            // 秋田市 holds about a third of the prefecture; 横手市 about 9 %.
            Assert.InRange(100.0 * byCode["05201"] / population.Count, 28, 38);
            Assert.InRange(100.0 * byCode["05203"] / population.Count, 6, 12);
        }
        else
        {
            Assert.Equal(25, byCode.Count);
        }
    }

    [Fact]
    public void Akita_WithoutTheIndex_Uses25SyntheticMunicipalities()
    {
        var population = PopulationGenerator.Generate(new PopulationOptions(5000, 4, Kind: PopulationKind.Akita), Areas.Value);

        Assert.Equal(25, population.Select(r => r.Municipality).Distinct().Count());
        Assert.All(population, r => Assert.All(r.Places, p => Assert.InRange(p.Lat, 38.7, 40.7)));
    }

    [Fact]
    public void Synthetic_AnySize_StaysInYokotesExtentWithTheMix()
    {
        var mix = PopulationGenerator.ParseMix("signalr=0.1,webhook=0.3,fcm=0.6");
        var population = PopulationGenerator.Generate(new PopulationOptions(30_000, 1, ChannelMix: mix, Kind: PopulationKind.Synthetic), Areas.Value);

        Assert.Equal(30_000, population.Count);
        Assert.All(population, r => Assert.All(r.Places, p =>
        {
            Assert.InRange(p.Lat, DemoGeoFacts.MinLat, DemoGeoFacts.MaxLat);
            Assert.InRange(p.Lon, DemoGeoFacts.MinLon, DemoGeoFacts.MaxLon);
        }));
        Assert.InRange(100.0 * population.Count(r => r.Channel == "fcm") / population.Count, 58, 62);
    }

    private static string Describe(SimResident r) =>
        $"{r.ExternalId}|{string.Join(',', r.HouseholdTags)}|{r.Language}|{r.Channel}|{string.Join(';', r.Places.Select(p => $"{p.Label}:{p.Lat}:{p.Lon}"))}";
}
