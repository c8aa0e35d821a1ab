using System.Text.Json;
using AlertHub.Core.Geo;
using AlertHub.Core.Targeting;
using AlertHub.Tests.Shared;
using Microsoft.Extensions.Time.Testing;
using NetTopologySuite.Geometries;
using static AlertHub.UnitTests.Targeting.TargetingTestData;

namespace AlertHub.UnitTests.Targeting;

/// <summary>Cross-checks against the real Yokote boundary, GSI shelters and Geolonia town points in ../shared.</summary>
public sealed class YokoteRealDataTests
{
    private const double CityHallLat = 39.31372, CityHallLon = 140.56661;

    // Yokote's neighbours in the Akita file (5-digit 全国地方公共団体コード without check digit).
    private static readonly string[] NeighbourCodes = ["05212", "05207", "05210", "05463", "05464", "05434"];

    private readonly FakeTimeProvider _time = new(Start);

    private static Geometry YokoteBoundary()
    {
        var path = SharedData.Path("geo", "boundaries", "yokote_05203_boundary_n03-2017.geojson")!;
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var features = GeoJsonReader.ReadFeatures(document.RootElement);
        return Assert.Single(features).Geometry;
    }

    private static List<(double Lat, double Lon, JsonElement Properties)> ReadPoints(params string[] parts)
    {
        var path = SharedData.Path(parts) ?? throw new FileNotFoundException("missing in ../shared", string.Join('/', parts));
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty("features").EnumerateArray()
            .Select(f =>
            {
                var c = f.GetProperty("geometry").GetProperty("coordinates");
                return (c[1].GetDouble(), c[0].GetDouble(), f.GetProperty("properties").Clone());
            })
            .ToList();
    }

    private static List<(double Lat, double Lon, JsonElement Properties)> Shelters() =>
    [
        .. ReadPoints("geo", "shelters", "yokote_052035_emergency_sites_gsi.geojson"),
        .. ReadPoints("geo", "shelters", "yokote_052035_designated_shelters_gsi.geojson"),
    ];

    private ResidentIndex IndexOf(IEnumerable<(double Lat, double Lon, JsonElement Properties)> points) =>
        Load(_time, true, points.Select((p, i) => At(Id(i), p.Lat, p.Lon)));

    [SharedDataFact]
    public void YokoteBoundary_IsTheDocumentedPolygon()
    {
        var boundary = YokoteBoundary();

        Assert.IsType<Polygon>(boundary);
        Assert.Equal(7855, boundary.NumPoints);
        Assert.Equal(140.261903, boundary.EnvelopeInternal.MinX, 6);
        Assert.Equal(39.409743, boundary.EnvelopeInternal.MaxY, 6);
    }

    [SharedDataFact]
    public void Query_YokotePolygon_ContainsAllShelters()
    {
        var shelters = Shelters();
        var index = IndexOf(shelters);

        var result = index.Query(new TargetQuery([new PolygonShape("05203", "横手市", YokoteBoundary())]));

        Assert.Equal(157 + 96, shelters.Count);
        Assert.Equal(shelters.Count, result.Recipients);
        Assert.Equal(shelters.Count, result.ByArea["05203"]);
    }

    [SharedDataFact]
    public void Query_YokotePolygon_ContainsAllTownPoints()
    {
        var towns = ReadPoints("geo", "subareas", "yokote_town_points.geojson");
        var index = IndexOf(towns);

        var result = index.Query(new TargetQuery([new PolygonShape("05203", "横手市", YokoteBoundary())]));

        Assert.Equal(1158, towns.Count);
        Assert.Equal(1158, result.Recipients);
    }

    [SharedDataFact]
    public void Query_YokotePolygon_ExcludesNeighbouringMunicipalitiesTownPoints()
    {
        var akita = ReadPoints("geo", "subareas", "akita_town_points_geolonia.geojson");
        var neighbours = akita.Where(p => NeighbourCodes.Contains(p.Properties.GetProperty("lg_code").GetString())).ToList();
        var yokote = akita.Where(p => p.Properties.GetProperty("lg_code").GetString() == "05203").ToList();
        var boundary = YokoteBoundary();
        var index = Load(_time, true,
            neighbours.Select((p, i) => At(Id(i), p.Lat, p.Lon)).Concat(yokote.Select((p, i) => At(Id(100_000 + i), p.Lat, p.Lon))));

        var result = index.Query(new TargetQuery([new PolygonShape("05203", "横手市", boundary)], CollectRecipients: true));

        Assert.True(neighbours.Count > 1500, $"expected the six neighbours' points, found {neighbours.Count}");
        Assert.Equal(yokote.Select((_, i) => Id(100_000 + i)).Order(), result.RecipientIds.Order());
        Assert.All(neighbours, p => Assert.False(boundary.Covers(boundary.Factory.CreatePoint(new Coordinate(p.Lon, p.Lat)))));
    }

    [SharedDataFact]
    public void Query_OneKilometreAroundCityHall_MatchesBruteForceHaversine()
    {
        var shelters = Shelters();
        var index = IndexOf(shelters);
        var expected = shelters
            .Select((p, i) => (p, i))
            .Where(x => Haversine.DistanceMeters(CityHallLat, CityHallLon, x.p.Lat, x.p.Lon) <= 1_000)
            .Select(x => Id(x.i))
            .Order()
            .ToList();

        var result = index.Query(new TargetQuery([new CircleShape("hall-1km", "City hall 1 km", CityHallLat, CityHallLon, 1_000)], CollectRecipients: true));

        Assert.NotEmpty(expected);
        Assert.True(expected.Count < shelters.Count);
        Assert.Equal(expected, result.RecipientIds.Order());
    }
}
