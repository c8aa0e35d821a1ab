using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Valid;

namespace AlertHub.Core.Geo;

/// <summary>
/// Thrown when GeoJSON cannot become a valid area. <see cref="Code"/> is a stable ProblemDetails code
/// (<c>targeting.polygon_invalid</c>, <c>targeting.coordinates_out_of_range</c>,
/// <c>targeting.geometry_unsupported</c>, <c>geojson.malformed</c>); <see cref="Path"/> points at the
/// offending element, e.g. <c>features[2].geometry.coordinates[0][17]</c>.
/// </summary>
public sealed class GeoJsonException(string code, string reason, string path)
    : Exception($"{reason} at {path}")
{
    public string Code { get; } = code;
    public string Reason { get; } = reason;
    public string Path { get; } = path;
}

/// <summary>One feature read from a Feature or FeatureCollection.</summary>
public sealed record GeoJsonFeature(int Index, Geometry Geometry, IReadOnlyDictionary<string, JsonElement> Properties);

/// <summary>Reads and validates Polygon/MultiPolygon GeoJSON (RFC 7946, lon/lat) into NetTopologySuite geometry.</summary>
public static class GeoJsonReader
{
    internal const string Malformed = CoreErrorCodes.GeoJsonMalformed;
    internal const string Unsupported = CoreErrorCodes.GeometryUnsupported;
    internal const string PolygonInvalid = CoreErrorCodes.PolygonInvalid;
    internal const string OutOfRange = CoreErrorCodes.CoordinatesOutOfRange;

    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>Reads a GeoJSON geometry object (Polygon or MultiPolygon). Ring winding is not enforced.</summary>
    public static Geometry ReadGeometry(JsonElement geometry, string path = "geometry")
    {
        if (geometry.ValueKind != JsonValueKind.Object)
        {
            throw new GeoJsonException(Malformed, $"expected a geometry object, found {Describe(geometry)}", path);
        }

        var type = ReadType(geometry, path);
        if (!geometry.TryGetProperty("coordinates", out var coordinates))
        {
            if (type is "Polygon" or "MultiPolygon")
            {
                throw new GeoJsonException(Malformed, $"{type} has no \"coordinates\"", path);
            }

            throw new GeoJsonException(Unsupported, $"geometry type \"{type}\" is not supported; use Polygon or MultiPolygon", path + ".type");
        }

        var coordinatesPath = path + ".coordinates";
        switch (type)
        {
            case "Polygon":
            {
                var polygon = ReadPolygon(coordinates, coordinatesPath);
                Validate(polygon, coordinatesPath);
                return polygon;
            }

            case "MultiPolygon":
            {
                var parts = ExpectArray(coordinates, coordinatesPath, "an array of polygons");
                var polygons = new Polygon[parts.Length];
                for (var i = 0; i < parts.Length; i++)
                {
                    var partPath = $"{coordinatesPath}[{i}]";
                    polygons[i] = ReadPolygon(parts[i], partPath);
                    Validate(polygons[i], partPath);
                }

                var multi = Factory.CreateMultiPolygon(polygons);
                // Parts that are valid on their own may still overlap each other.
                Validate(multi, coordinatesPath);
                return multi;
            }

            default:
                throw new GeoJsonException(Unsupported, $"geometry type \"{type}\" is not supported; use Polygon or MultiPolygon", path + ".type");
        }
    }

    /// <summary>Reads a Feature or a FeatureCollection of Polygon/MultiPolygon features.</summary>
    public static IReadOnlyList<GeoJsonFeature> ReadFeatures(JsonElement featureOrCollection)
    {
        if (featureOrCollection.ValueKind != JsonValueKind.Object)
        {
            throw new GeoJsonException(Malformed, $"expected a Feature or FeatureCollection object, found {Describe(featureOrCollection)}", "$");
        }

        var type = ReadType(featureOrCollection, "$");
        switch (type)
        {
            case "Feature":
                return [ReadFeature(featureOrCollection, 0, "")];
            case "FeatureCollection":
            {
                if (!featureOrCollection.TryGetProperty("features", out var features))
                {
                    throw new GeoJsonException(Malformed, "FeatureCollection has no \"features\"", "features");
                }

                var items = ExpectArray(features, "features", "an array of features");
                var result = new GeoJsonFeature[items.Length];
                for (var i = 0; i < items.Length; i++)
                {
                    result[i] = ReadFeature(items[i], i, $"features[{i}].");
                }

                return result;
            }

            default:
                throw new GeoJsonException(Unsupported, $"\"{type}\" is not a Feature or FeatureCollection", "type");
        }
    }

    private static GeoJsonFeature ReadFeature(JsonElement feature, int index, string prefix)
    {
        var here = prefix.Length == 0 ? "$" : prefix.TrimEnd('.');
        if (feature.ValueKind != JsonValueKind.Object)
        {
            throw new GeoJsonException(Malformed, $"expected a Feature object, found {Describe(feature)}", here);
        }

        var type = ReadType(feature, here);
        if (type != "Feature")
        {
            throw new GeoJsonException(Malformed, $"expected type \"Feature\", found \"{type}\"", prefix + "type");
        }

        if (!feature.TryGetProperty("geometry", out var geometryElement))
        {
            throw new GeoJsonException(Malformed, "Feature has no \"geometry\"", here);
        }

        if (geometryElement.ValueKind == JsonValueKind.Null)
        {
            throw new GeoJsonException(Unsupported, "Feature has a null geometry; an area needs a Polygon or MultiPolygon", prefix + "geometry");
        }

        var geometry = ReadGeometry(geometryElement, prefix + "geometry");
        var properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (feature.TryGetProperty("properties", out var props))
        {
            if (props.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in props.EnumerateObject())
                {
                    // Clone: the caller's JsonDocument may be disposed long before the feature is used.
                    properties[property.Name] = property.Value.Clone();
                }
            }
            else if (props.ValueKind != JsonValueKind.Null)
            {
                throw new GeoJsonException(Malformed, $"\"properties\" must be an object or null, found {Describe(props)}", prefix + "properties");
            }
        }

        return new GeoJsonFeature(index, geometry, properties);
    }

    private static string ReadType(JsonElement element, string path)
    {
        if (!element.TryGetProperty("type", out var type))
        {
            throw new GeoJsonException(Malformed, "object has no \"type\"", path);
        }

        if (type.ValueKind != JsonValueKind.String)
        {
            throw new GeoJsonException(Malformed, $"\"type\" must be a string, found {Describe(type)}", Join(path, "type"));
        }

        return type.GetString()!;
    }

    private static string Join(string path, string member) => path == "$" ? member : path + "." + member;

    private static Polygon ReadPolygon(JsonElement element, string path)
    {
        var ringElements = ExpectArray(element, path, "an array of linear rings");
        if (ringElements.Length == 0)
        {
            throw new GeoJsonException(PolygonInvalid, "polygon has no rings", path);
        }

        var rings = new LinearRing[ringElements.Length];
        for (var r = 0; r < ringElements.Length; r++)
        {
            rings[r] = ReadRing(ringElements[r], $"{path}[{r}]");
        }

        return Factory.CreatePolygon(rings[0], rings[1..]);
    }

    private static LinearRing ReadRing(JsonElement element, string path)
    {
        var positions = ExpectArray(element, path, "an array of positions");
        var coordinates = new Coordinate[positions.Length];
        for (var i = 0; i < positions.Length; i++)
        {
            coordinates[i] = ReadPosition(positions[i], $"{path}[{i}]");
        }

        if (coordinates.Length < 4)
        {
            throw new GeoJsonException(PolygonInvalid, $"a linear ring needs at least 4 positions, found {coordinates.Length}", path);
        }

        if (!coordinates[0].Equals2D(coordinates[^1]))
        {
            throw new GeoJsonException(PolygonInvalid, "linear ring is not closed: its first and last positions differ", $"{path}[{coordinates.Length - 1}]");
        }

        return Factory.CreateLinearRing(coordinates);
    }

    private static Coordinate ReadPosition(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new GeoJsonException(Malformed, $"expected a position [lon, lat], found {Describe(element)}", path);
        }

        var length = element.GetArrayLength();
        if (length < 2)
        {
            throw new GeoJsonException(Malformed, $"a position needs at least 2 numbers, found {length}", path);
        }

        var values = new double[2];
        for (var i = 0; i < length; i++)
        {
            var value = element[i];
            if (value.ValueKind != JsonValueKind.Number)
            {
                throw new GeoJsonException(Malformed, $"position values must be numbers, found {Describe(value)}", $"{path}[{i}]");
            }

            // TryGetDouble refuses numbers that overflow to infinity.
            if (!value.TryGetDouble(out var number))
            {
                throw new GeoJsonException(Malformed, "position value is not a finite number", $"{path}[{i}]");
            }

            if (i < 2)
            {
                values[i] = number;
            }
        }

        var lon = values[0];
        var lat = values[1];
        if (!(lon is >= -180 and <= 180) || !(lat is >= -90 and <= 90))
        {
            throw new GeoJsonException(OutOfRange, $"position ({Format(lon)}, {Format(lat)}) is outside lon [-180, 180] / lat [-90, 90]", path);
        }

        return new Coordinate(lon, lat);
    }

    private static JsonElement[] ExpectArray(JsonElement element, string path, string what)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new GeoJsonException(Malformed, $"expected {what}, found {Describe(element)}", path);
        }

        return [.. element.EnumerateArray()];
    }

    private static void Validate(Geometry geometry, string path)
    {
        var error = new IsValidOp(geometry).ValidationError;
        if (error is null)
        {
            return;
        }

        var at = error.Coordinate;
        var where = at is null ? "" : $" at ({Format(at.X)}, {Format(at.Y)})";
        var errorPath = path;
        if (geometry is Polygon polygon && at is not null)
        {
            // Name the ring when exactly one ring passes through the reported point.
            var rings = new List<int>();
            var point = Factory.CreatePoint(at);
            for (var r = 0; r <= polygon.NumInteriorRings; r++)
            {
                var ring = r == 0 ? polygon.ExteriorRing : polygon.GetInteriorRingN(r - 1);
                if (ring.Distance(point) == 0)
                {
                    rings.Add(r);
                }
            }

            if (rings.Count == 1)
            {
                errorPath = $"{path}[{rings[0]}]";
            }
        }

        throw new GeoJsonException(PolygonInvalid, $"{error.ErrorType}: {error.Message}{where}", errorPath);
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}

/// <summary>Writes NetTopologySuite Polygon/MultiPolygon as a GeoJSON geometry object.</summary>
public static class GeoJsonWriter
{
    public static void WriteGeometry(Utf8JsonWriter writer, Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(geometry);
        writer.WriteStartObject();
        switch (geometry)
        {
            case Polygon polygon:
                writer.WriteString("type", "Polygon");
                writer.WritePropertyName("coordinates");
                WritePolygon(writer, polygon);
                break;
            case MultiPolygon multi:
                writer.WriteString("type", "MultiPolygon");
                writer.WritePropertyName("coordinates");
                writer.WriteStartArray();
                for (var i = 0; i < multi.NumGeometries; i++)
                {
                    WritePolygon(writer, (Polygon)multi.GetGeometryN(i));
                }

                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Only Polygon and MultiPolygon can be written, not {geometry.GeometryType}.", nameof(geometry));
        }

        writer.WriteEndObject();
    }

    private static void WritePolygon(Utf8JsonWriter writer, Polygon polygon)
    {
        writer.WriteStartArray();
        WriteRing(writer, polygon.ExteriorRing);
        foreach (var hole in polygon.InteriorRings)
        {
            WriteRing(writer, hole);
        }

        writer.WriteEndArray();
    }

    private static void WriteRing(Utf8JsonWriter writer, LineString ring)
    {
        var seq = ring.CoordinateSequence;
        writer.WriteStartArray();
        for (var i = 0; i < seq.Count; i++)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(seq.GetX(i));
            writer.WriteNumberValue(seq.GetY(i));
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
    }
}
