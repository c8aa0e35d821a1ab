using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;
using NetTopologySuite.Geometries;

namespace AlertHub.IntegrationTests.Features;

/// <summary>Cross-checks targeting through the API against the real Yokote boundary and GSI shelters in ../shared.</summary>
public sealed class RealGeoTests : IDisposable
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [SharedDataFact]
    public async Task ImportedYokoteBoundary_TargetsExactlyThePointsInsideIt_ByCodeAndCircle()
    {
        using var admin = _hub.Admin();
        var boundaryPath = SharedData.Path("geo", "boundaries", "yokote_05203_boundary_n03-2017.geojson")!;
        var import = await admin.PostAsync("/api/areas?kind=district",
            new ByteArrayContent(await File.ReadAllBytesAsync(boundaryPath)) { Headers = { ContentType = new("application/geo+json") } });
        Assert.Equal(201, (int)import.StatusCode);
        var area = (await import.JsonAsync())[0]!;
        Assert.Equal("横手市", area["name"]!.GetValue<string>());
        Assert.Equal("0520300", area["code"]!.GetValue<string>());

        var points = new List<(double Lat, double Lon)>();
        foreach (var file in new[] { "yokote_052035_emergency_sites_gsi.geojson", "yokote_052035_designated_shelters_gsi.geojson" })
        {
            points.AddRange(ReadPoints(SharedData.Path("geo", "shelters", file)!, _ => true));
        }

        var neighbours = new HashSet<string> { "05212", "05207", "05210", "05463", "05464", "05434" };
        points.AddRange(ReadPoints(SharedData.Path("geo", "subareas", "akita_town_points_geolonia.geojson")!,
            p => neighbours.Contains(p.GetProperty("lg_code").GetString()!)));

        var ndjson = new StringBuilder();
        foreach (var (lat, lon) in points)
        {
            ndjson.Append(CultureInfo.InvariantCulture, $"{{\"places\":[{{\"lat\":{lat:R},\"lon\":{lon:R}}}],\"endpoints\":[{{\"channel\":\"signalr\"}}]}}\n");
        }

        var imported = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
        Assert.Equal(points.Count, imported["accepted"]!.GetValue<int>());

        using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(boundaryPath));
        var ring = doc.RootElement.GetProperty("features")[0].GetProperty("geometry").GetProperty("coordinates")[0]
            .EnumerateArray().Select(c => new Coordinate(c[0].GetDouble(), c[1].GetDouble())).ToArray();
        var yokote = Factory.CreatePolygon(ring);
        var expectedInside = points.Count(p => yokote.Covers(Factory.CreatePoint(new Coordinate(p.Lon, p.Lat))));
        Assert.True(expectedInside >= 253, $"all 253 Yokote shelters should be inside, got {expectedInside}");
        Assert.True(points.Count - expectedInside > 500, "the neighbours' town points should give many outside points");

        foreach (var code in new[] { "0520300", "052035", "05203" })
        {
            var preview = await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { codes = new[] { code } } })).JsonAsync();
            Assert.Equal(expectedInside, preview["recipients"]!.GetValue<int>());
        }

        var hall = (Lat: 39.31372, Lon: 140.56661);
        var expectedInCircle = points.Count(p => Haversine(hall.Lat, hall.Lon, p.Lat, p.Lon) <= 1000);
        var circle = await (await admin.PostAsJsonAsync("/api/targeting/preview",
            new { area = new { circles = new[] { new { lat = hall.Lat, lon = hall.Lon, radiusMeters = 1000 } } } })).JsonAsync();
        Assert.True(expectedInCircle > 5);
        Assert.Equal(expectedInCircle, circle["recipients"]!.GetValue<int>());
    }

    private static IEnumerable<(double Lat, double Lon)> ReadPoints(string path, Func<JsonElement, bool> keep)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var list = new List<(double, double)>();
        foreach (var f in doc.RootElement.GetProperty("features").EnumerateArray())
        {
            if (keep(f.GetProperty("properties")))
            {
                var c = f.GetProperty("geometry").GetProperty("coordinates");
                list.Add((c[1].GetDouble(), c[0].GetDouble()));
            }
        }

        return list;
    }

    private static double Haversine(double lat1, double lon1, double lat2, double lon2)
    {
        const double r = 6371008.8;
        var dLat = (lat2 - lat1) * Math.PI / 180;
        var dLon = (lon2 - lon1) * Math.PI / 180;
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + (Math.Cos(lat1 * Math.PI / 180) * Math.Cos(lat2 * Math.PI / 180) * Math.Pow(Math.Sin(dLon / 2), 2));
        return 2 * r * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}
