using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Precision;
using NetTopologySuite.Triangulate;

namespace AlertHub.MobileSim.DemoGeo;

/// <summary>Builds the synthetic demo FeatureCollection (districts, flood and landslide zones) from <see cref="DemoGeoFacts"/>.</summary>
internal static class DemoGeoGenerator
{
    public const string CollectionName = "AlertHub demo areas (synthetic, not official)";

    // 1e6 = 6 decimals, what the file stores; reducing with it keeps polygons valid after rounding.
    private static readonly PrecisionModel SixDecimals = new(1_000_000);

    public static IReadOnlyList<DemoArea> Build()
    {
        var projection = LocalProjection.Yokote;
        var f = SimGeoJson.Factory;
        var outlineLonLat = f.CreatePolygon(DemoGeoFacts.Outline
            .Append(DemoGeoFacts.Outline[0])
            .Select(p => new Coordinate(p.Lon, p.Lat))
            .ToArray());
        var outline = projection.ToMeters(outlineLonLat);

        var areas = new List<DemoArea>();

        var sites = DemoGeoFacts.Districts
            .Select(d => projection.Forward(d.Lat, d.Lon))
            .Select(p => new Coordinate(p.X, p.Y))
            .ToList();
        var builder = new VoronoiDiagramBuilder();
        builder.SetSites(sites);
        var clip = outline.EnvelopeInternal.Copy();
        clip.ExpandBy(10_000);
        builder.ClipEnvelope = clip;
        var cells = builder.GetDiagram(f);
        foreach (var district in DemoGeoFacts.Districts)
        {
            var (x, y) = projection.Forward(district.Lat, district.Lon);
            var site = f.CreatePoint(new Coordinate(x, y));
            var cell = cells.Geometries.Single(c => c.Contains(site));
            areas.Add(Finish(district.DemoName, "district", cell.Intersection(outline), projection));
        }

        foreach (var zone in DemoGeoFacts.FloodZones)
        {
            areas.Add(Finish(zone.Name, "flood", Zone(zone, projection).Intersection(outline), projection));
        }

        foreach (var zone in DemoGeoFacts.LandslideZones)
        {
            areas.Add(Finish(zone.Name, "landslide", Zone(zone, projection).Intersection(outline), projection));
        }

        return areas;
    }

    private static Geometry Zone(ZoneFact zone, LocalProjection projection)
    {
        var line = SimGeoJson.Factory.CreateLineString(zone.Line
            .Select(p => projection.Forward(p.Lat, p.Lon))
            .Select(p => new Coordinate(p.X, p.Y))
            .ToArray());
        return line.Buffer(zone.BufferMeters, 8);
    }

    private static DemoArea Finish(string name, string kind, Geometry meters, LocalProjection projection)
    {
        var lonLat = GeometryPrecisionReducer.Reduce(projection.ToLonLat(meters), SixDecimals);
        if (lonLat is not (Polygon or MultiPolygon) || lonLat.IsEmpty)
        {
            throw new InvalidOperationException($"Demo area '{name}' came out as {lonLat.GeometryType}, expected a non-empty polygon.");
        }

        if (!lonLat.IsValid)
        {
            throw new InvalidOperationException($"Demo area '{name}' is not a valid polygon.");
        }

        return new DemoArea(name, kind, lonLat);
    }

    public static string ToGeoJson(IReadOnlyList<DemoArea> areas)
    {
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var sb = new StringBuilder();
        sb.Append("{\"type\":\"FeatureCollection\",\"name\":\"").Append(CollectionName).Append("\",\"features\":[\n");
        for (var i = 0; i < areas.Count; i++)
        {
            var area = areas[i];
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, options))
            {
                w.WriteStartObject();
                w.WriteString("type", "Feature");
                w.WriteStartObject("properties");
                w.WriteString("name", area.Name);
                w.WriteString("kind", area.Kind);
                w.WriteBoolean("demo", true);
                w.WriteString("source", "synthetic");
                w.WriteEndObject();
                w.WritePropertyName("geometry");
                SimGeoJson.WriteGeometry(w, area.Geometry);
                w.WriteEndObject();
            }

            sb.Append(Encoding.UTF8.GetString(buffer.ToArray()));
            sb.Append(i < areas.Count - 1 ? ",\n" : "\n");
        }

        sb.Append("]}\n");
        return sb.ToString();
    }
}

internal sealed record DemoArea(string Name, string Kind, Geometry Geometry);
