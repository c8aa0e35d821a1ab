using System.Text.Json;
using System.Text.Json.Serialization;
using AlertHub.Core.Geo;
using NetTopologySuite.Geometries;

namespace AlertHub.Server.Infrastructure;

/// <summary>Reads and writes NetTopologySuite polygons as GeoJSON geometry objects.</summary>
internal sealed class GeometryJsonConverter : JsonConverter<Geometry>
{
    public override bool CanConvert(Type typeToConvert) => typeof(Geometry).IsAssignableFrom(typeToConvert);

    public override Geometry? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return GeoJsonReader.ReadGeometry(doc.RootElement);
    }

    public override void Write(Utf8JsonWriter writer, Geometry value, JsonSerializerOptions options) => GeoJsonWriter.WriteGeometry(writer, value);
}
