using System.Text.Json;
using NetTopologySuite.Geometries;

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
    /// <summary>Reads a GeoJSON geometry object (Polygon or MultiPolygon). Ring winding is not enforced.</summary>
    public static Geometry ReadGeometry(JsonElement geometry, string path = "geometry") => throw new NotImplementedException();

    /// <summary>Reads a Feature or a FeatureCollection of Polygon/MultiPolygon features.</summary>
    public static IReadOnlyList<GeoJsonFeature> ReadFeatures(JsonElement featureOrCollection) => throw new NotImplementedException();
}

/// <summary>Writes NetTopologySuite Polygon/MultiPolygon as a GeoJSON geometry object.</summary>
public static class GeoJsonWriter
{
    public static void WriteGeometry(Utf8JsonWriter writer, Geometry geometry) => throw new NotImplementedException();
}
