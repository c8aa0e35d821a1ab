using System.Text.Json;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;

namespace AlertHub.MobileSim.DemoGeo;

/// <summary>One Polygon/MultiPolygon feature with the few properties the sim cares about.</summary>
internal sealed record SimFeature(string Name, string? Kind, Geometry Geometry);

/// <summary>
/// Minimal Polygon/MultiPolygon GeoJSON reading and writing for the sim. Core's GeoJsonReader is the hub's
/// validating reader; the sim keeps its own small one so it never depends on the code it is checking.
/// </summary>
internal static class SimGeoJson
{
    public static GeometryFactory Factory { get; } = new(new PrecisionModel(), 4326);

    public static IReadOnlyList<SimFeature> ReadFeatureCollection(JsonElement root)
    {
        var features = new List<SimFeature>();
        if (root.TryGetProperty("type", out var type) && type.GetString() == "Feature")
        {
            features.Add(ReadFeature(root));
            return features;
        }

        foreach (var feature in root.GetProperty("features").EnumerateArray())
        {
            if (!feature.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var kind = g.GetProperty("type").GetString();
            if (kind is "Polygon" or "MultiPolygon")
            {
                features.Add(ReadFeature(feature));
            }
        }

        return features;
    }

    private static SimFeature ReadFeature(JsonElement feature)
    {
        string name = "";
        string? kind = null;
        if (feature.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object)
        {
            if (props.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                name = n.GetString()!;
            }

            if (props.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String)
            {
                kind = k.GetString();
            }
        }

        return new SimFeature(name, kind, ReadGeometry(feature.GetProperty("geometry")));
    }

    public static Geometry ReadGeometry(JsonElement geometry)
    {
        var type = geometry.GetProperty("type").GetString();
        var coords = geometry.GetProperty("coordinates");
        return type switch
        {
            "Polygon" => ReadPolygon(coords),
            "MultiPolygon" => Factory.CreateMultiPolygon(coords.EnumerateArray().Select(ReadPolygon).ToArray()),
            _ => throw new InvalidDataException($"Unsupported geometry type '{type}': only Polygon and MultiPolygon are areas."),
        };
    }

    private static Polygon ReadPolygon(JsonElement rings)
    {
        var linear = rings.EnumerateArray().Select(ReadRing).ToArray();
        return Factory.CreatePolygon(linear[0], linear.Skip(1).ToArray());
    }

    private static LinearRing ReadRing(JsonElement ring) =>
        Factory.CreateLinearRing(ring.EnumerateArray()
            .Select(p => new Coordinate(p[0].GetDouble(), p[1].GetDouble()))
            .ToArray());

    /// <summary>Writes a Polygon/MultiPolygon with RFC 7946 winding (outer rings counter-clockwise, holes clockwise).</summary>
    public static void WriteGeometry(Utf8JsonWriter writer, Geometry geometry)
    {
        writer.WriteStartObject();
        switch (geometry)
        {
            case Polygon polygon:
                writer.WriteString("type", "Polygon");
                writer.WritePropertyName("coordinates");
                WritePolygonCoordinates(writer, polygon);
                break;
            case MultiPolygon multi:
                writer.WriteString("type", "MultiPolygon");
                writer.WritePropertyName("coordinates");
                writer.WriteStartArray();
                foreach (var part in multi.Geometries.Cast<Polygon>())
                {
                    WritePolygonCoordinates(writer, part);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Only Polygon/MultiPolygon can be written, got {geometry.GeometryType}.", nameof(geometry));
        }

        writer.WriteEndObject();
    }

    private static void WritePolygonCoordinates(Utf8JsonWriter writer, Polygon polygon)
    {
        writer.WriteStartArray();
        WriteRing(writer, polygon.Shell, counterClockwise: true);
        foreach (var hole in polygon.Holes)
        {
            WriteRing(writer, hole, counterClockwise: false);
        }

        writer.WriteEndArray();
    }

    private static void WriteRing(Utf8JsonWriter writer, LineString ring, bool counterClockwise)
    {
        var coords = ring.Coordinates;
        if (Orientation.IsCCW(coords) != counterClockwise)
        {
            coords = coords.Reverse().ToArray();
        }

        writer.WriteStartArray();
        foreach (var c in coords)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(Math.Round(c.X, 6));
            writer.WriteNumberValue(Math.Round(c.Y, 6));
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
    }
}
