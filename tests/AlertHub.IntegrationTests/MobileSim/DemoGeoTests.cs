using AlertHub.MobileSim.DemoGeo;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using NetTopologySuite.Operation.Valid;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>mobile-sim's synthetic demo areas: shape, placement and the committed geo/demo-areas.geojson.</summary>
public sealed class DemoGeoTests
{
    private const string RegenerateCommand =
        "dotnet run --project mobile-sim/AlertHub.MobileSim -- generate-demo-geo --out geo/demo-areas.geojson";

    [Fact]
    public void DemoGeoGenerator_Build_HasEightDistrictsThreeToFiveFloodAndThreeToFourLandslideZones()
    {
        var areas = DemoGeoGenerator.Build();

        Assert.Equal(8, areas.Count(a => a.Kind == "district"));
        Assert.InRange(areas.Count(a => a.Kind == "flood"), 3, 5);
        Assert.InRange(areas.Count(a => a.Kind == "landslide"), 3, 4);
    }

    [Fact]
    public void DemoGeoGenerator_Build_EveryGeometryIsValid()
    {
        Assert.All(DemoGeoGenerator.Build(), a =>
            Assert.True(a.Geometry.IsValid, $"{a.Kind} {a.Name}: {new IsValidOp(a.Geometry).ValidationError}"));
    }

    [Fact]
    public void DemoGeoGenerator_Districts_TileTheOutlineWithoutOverlap()
    {
        var districts = DemoGeoGenerator.Build().Where(a => a.Kind == "district").Select(a => a.Geometry).ToList();

        var sum = districts.Sum(d => d.Area);
        var union = UnaryUnionOp.Union(districts).Area;

        Assert.True(Math.Abs(sum - union) < 1e-9, $"districts overlap: sum of areas {sum:0.000000000} vs union {union:0.000000000}");
    }

    [Fact]
    public void DemoAreaSet_CityCovers_CityHallInsideAndLatitude3942Outside()
    {
        var set = DemoAreaSet.FromGenerator();

        Assert.True(set.CityCovers(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon), "city hall should be inside the city");
        Assert.False(set.CityCovers(39.42, 140.5), "39.42, 140.5 should be outside the city");
    }

    [Fact]
    public void DemoGeoGenerator_YokoteDistrict_CoversCityHall()
    {
        var yokote = DemoGeoGenerator.Build().Single(a => a.Name == "横手（デモ）").Geometry;

        var cityHall = SimGeoJson.Factory.CreatePoint(new Coordinate(DemoGeoFacts.CityHallLon, DemoGeoFacts.CityHallLat));
        Assert.True(yokote.Covers(cityHall), "city hall should be in 横手（デモ）");
    }

    [Fact]
    public void DemoAreaSet_City_LiesInsideYokotesBoundingBox()
    {
        var env = DemoAreaSet.FromGenerator().City.EnvelopeInternal;

        Assert.True(env.MinX >= DemoGeoFacts.MinLon && env.MaxX <= DemoGeoFacts.MaxLon, $"longitudes {env} exceed {DemoGeoFacts.MinLon}..{DemoGeoFacts.MaxLon}");
        Assert.True(env.MinY >= DemoGeoFacts.MinLat && env.MaxY <= DemoGeoFacts.MaxLat, $"latitudes {env} exceed {DemoGeoFacts.MinLat}..{DemoGeoFacts.MaxLat}");
    }

    [Fact]
    public void DemoGeoGenerator_ToGeoJson_IsDeterministic()
    {
        var first = DemoGeoGenerator.ToGeoJson(DemoGeoGenerator.Build());
        var second = DemoGeoGenerator.ToGeoJson(DemoGeoGenerator.Build());

        Assert.Equal(first, second);
    }

    [Fact]
    public void DemoGeoGenerator_CommittedGeoJson_EqualsGeneratorOutput()
    {
        var path = Path.Combine(FindRepositoryRoot(), "geo", "demo-areas.geojson");
        Assert.True(File.Exists(path), $"{path} is missing; create it with: {RegenerateCommand}");

        var committed = File.ReadAllText(path);
        var generated = DemoGeoGenerator.ToGeoJson(DemoGeoGenerator.Build());

        var firstDifference = FirstDifference(committed, generated);
        Assert.True(firstDifference < 0,
            $"{path} ({committed.Length} chars) differs from the generator output ({generated.Length} chars) at char {firstDifference}; "
            + $"regenerate it with: {RegenerateCommand}");
    }

    private static int FirstDifference(string a, string b)
    {
        var common = a.AsSpan().CommonPrefixLength(b.AsSpan());
        return common == a.Length && common == b.Length ? -1 : common;
    }

    // The repository root rather than DemoAreaSet.FindDefaultFile: that would also accept a copy in the build output.
    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlertHub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder with AlertHub.sln above {AppContext.BaseDirectory}.");
    }
}
