using System.Text;
using System.Text.Json;
using AlertHub.Core.Geo;
using NetTopologySuite.Geometries;

namespace AlertHub.UnitTests.Geo;

public sealed class GeoJsonReaderTests
{
    private const string Square = "[[[140.5,39.2],[140.6,39.2],[140.6,39.3],[140.5,39.3],[140.5,39.2]]]";
    private const string SquareClockwise = "[[[140.5,39.2],[140.5,39.3],[140.6,39.3],[140.6,39.2],[140.5,39.2]]]";
    private const string SquareRing = "[[140.5,39.2],[140.6,39.2],[140.6,39.3],[140.5,39.3],[140.5,39.2]]";
    private const string Hole = "[[140.54,39.24],[140.56,39.24],[140.56,39.26],[140.54,39.26],[140.54,39.24]]";

    private static Geometry Read(string json, string path = "geometry")
    {
        using var document = JsonDocument.Parse(json);
        return GeoJsonReader.ReadGeometry(document.RootElement, path);
    }

    private static IReadOnlyList<GeoJsonFeature> ReadFeatures(string json)
    {
        using var document = JsonDocument.Parse(json);
        return GeoJsonReader.ReadFeatures(document.RootElement);
    }

    [Fact]
    public void ReadGeometry_PolygonWithHole_ReadsRingsAsLonLatWithSrid4326()
    {
        var geometry = Read($$"""{"type":"Polygon","coordinates":[{{SquareRing}},{{Hole}}]}""");

        var polygon = Assert.IsType<Polygon>(geometry);
        Assert.Equal(4326, polygon.SRID);
        Assert.Equal(1, polygon.NumInteriorRings);
        Assert.Equal(140.5, polygon.ExteriorRing.Coordinates[0].X);
        Assert.Equal(39.2, polygon.ExteriorRing.Coordinates[0].Y);
        Assert.Equal((0.1 * 0.1) - (0.02 * 0.02), polygon.Area, 12);
    }

    [Fact]
    public void ReadGeometry_ClockwiseExteriorRing_IsAccepted()
    {
        var geometry = Read($$"""{"type":"Polygon","coordinates":{{SquareClockwise}}}""");

        Assert.True(geometry.IsValid);
        Assert.Equal(0.01, geometry.Area, 12);
    }

    [Fact]
    public void ReadGeometry_MultiPolygon_ReadsEveryPart()
    {
        var geometry = Read($$"""{"type":"MultiPolygon","coordinates":[{{Square}},[[[141,40],[141.1,40],[141.1,40.1],[141,40]]]]}""");

        var multi = Assert.IsType<MultiPolygon>(geometry);
        Assert.Equal(2, multi.NumGeometries);
    }

    [Theory]
    [InlineData("""{"type":"Point","coordinates":[140.5,39.2]}""", "geometry.type")]
    [InlineData("""{"type":"LineString","coordinates":[[140.5,39.2],[140.6,39.2]]}""", "geometry.type")]
    [InlineData("""{"type":"GeometryCollection","geometries":[]}""", "geometry.type")]
    public void ReadGeometry_NonPolygonalType_ThrowsGeometryUnsupported(string json, string path)
    {
        var error = Assert.Throws<GeoJsonException>(() => Read(json));

        Assert.Equal("targeting.geometry_unsupported", error.Code);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("""{"coordinates":[]}""", "geometry")]
    [InlineData("""{"type":"Polygon"}""", "geometry")]
    [InlineData("""{"type":"Polygon","coordinates":{"a":1}}""", "geometry.coordinates")]
    [InlineData("""{"type":"Polygon","coordinates":[[[140.5,39.2],[140.6,"39.2"],[140.6,39.3],[140.5,39.2]]]}""", "geometry.coordinates[0][1][1]")]
    [InlineData("""{"type":"Polygon","coordinates":[[[140.5,39.2],[140.6],[140.6,39.3],[140.5,39.2]]]}""", "geometry.coordinates[0][1]")]
    [InlineData("""{"type":"Polygon","coordinates":[[140.5,39.2],[140.6,39.2],[140.6,39.3],[140.5,39.2]]}""", "geometry.coordinates[0][0]")]
    [InlineData("""{"type":7,"coordinates":[]}""", "geometry.type")]
    [InlineData("""[1,2]""", "geometry")]
    public void ReadGeometry_MalformedStructure_ThrowsMalformedWithPath(string json, string path)
    {
        var error = Assert.Throws<GeoJsonException>(() => Read(json));

        Assert.Equal("geojson.malformed", error.Code);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void ReadGeometry_RingWithThreePositions_ThrowsPolygonInvalid()
    {
        var error = Assert.Throws<GeoJsonException>(() => Read("""{"type":"Polygon","coordinates":[[[140.5,39.2],[140.6,39.2],[140.5,39.2]]]}"""));

        Assert.Equal("targeting.polygon_invalid", error.Code);
        Assert.Equal("geometry.coordinates[0]", error.Path);
        Assert.Contains("at least 4 positions", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadGeometry_UnclosedRing_ThrowsPolygonInvalidAtLastPosition()
    {
        var error = Assert.Throws<GeoJsonException>(() => Read("""{"type":"Polygon","coordinates":[[[140.5,39.2],[140.6,39.2],[140.6,39.3],[140.5,39.3]]]}"""));

        Assert.Equal("targeting.polygon_invalid", error.Code);
        Assert.Equal("geometry.coordinates[0][3]", error.Path);
        Assert.Contains("not closed", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(180.5, 39.2)]
    [InlineData(140.5, -90.01)]
    public void ReadGeometry_CoordinateOutOfRange_ThrowsWithPositionPath(double lon, double lat)
    {
        var json = $$"""{"type":"Polygon","coordinates":[[[140.5,39.2],[140.6,39.2],[{{lon}},{{lat}}],[140.5,39.2]]]}""";

        var error = Assert.Throws<GeoJsonException>(() => Read(json));

        Assert.Equal("targeting.coordinates_out_of_range", error.Code);
        Assert.Equal("geometry.coordinates[0][2]", error.Path);
    }

    [Fact]
    public void ReadGeometry_SelfIntersectingBowTie_ThrowsPolygonInvalidNamingRingAndCoordinate()
    {
        var error = Assert.Throws<GeoJsonException>(() =>
            Read("""{"type":"Polygon","coordinates":[[[140.0,39.0],[141.0,40.0],[141.0,39.0],[140.0,40.0],[140.0,39.0]]]}"""));

        Assert.Equal("targeting.polygon_invalid", error.Code);
        Assert.Equal("geometry.coordinates[0]", error.Path);
        Assert.Contains("Self-intersection", error.Reason, StringComparison.Ordinal);
        Assert.Contains("(140.5, 39.5)", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadGeometry_HoleOutsideShell_ThrowsPolygonInvalid()
    {
        var error = Assert.Throws<GeoJsonException>(() =>
            Read($$"""{"type":"Polygon","coordinates":[{{SquareRing}},[[141,40],[141.1,40],[141.1,40.1],[141,40]]]}"""));

        Assert.Equal("targeting.polygon_invalid", error.Code);
        Assert.StartsWith("geometry.coordinates", error.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadGeometry_OverlappingMultiPolygonParts_ThrowsPolygonInvalid()
    {
        var error = Assert.Throws<GeoJsonException>(() => Read($$"""{"type":"MultiPolygon","coordinates":[{{Square}},{{Square}}]}"""));

        Assert.Equal("targeting.polygon_invalid", error.Code);
        Assert.Equal("geometry.coordinates", error.Path);
    }

    [Fact]
    public void ReadFeatures_FeatureCollection_ReportsPathOfBadFeature()
    {
        var json = $$$"""
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"name":"ok"},"geometry":{"type":"Polygon","coordinates":{{{Square}}}}},
              {"type":"Feature","properties":null,"geometry":{"type":"Polygon","coordinates":{{{Square}}}}},
              {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[140.5,39.2],[140.6,39.2],[140.6,39.3],[140.5,39.3],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,39.2],[140.5,95]]]}}
            ]}
            """;

        var error = Assert.Throws<GeoJsonException>(() => ReadFeatures(json));

        Assert.Equal("targeting.coordinates_out_of_range", error.Code);
        Assert.Equal("features[2].geometry.coordinates[0][17]", error.Path);
    }

    [Fact]
    public void ReadFeatures_Properties_AreClonedAndOutliveTheDocument()
    {
        var features = ReadFeatures($$$"""
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"name":"横手市","code":"05203","pop":81617},"geometry":{"type":"Polygon","coordinates":{{{Square}}}}},
              {"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[{{{Square}}}]}}
            ]}
            """);

        Assert.Equal(2, features.Count);
        Assert.Equal(1, features[1].Index);
        Assert.Equal("横手市", features[0].Properties["name"].GetString());
        Assert.Equal(81617, features[0].Properties["pop"].GetInt32());
        Assert.Empty(features[1].Properties);
    }

    [Fact]
    public void ReadFeatures_SingleFeature_ReadsOne()
    {
        var features = ReadFeatures($$$"""{"type":"Feature","properties":{"k":1},"geometry":{"type":"Polygon","coordinates":{{{Square}}}}}""");

        Assert.Single(features);
        Assert.IsType<Polygon>(features[0].Geometry);
    }

    [Theory]
    [InlineData("""{"type":"Feature","properties":{},"geometry":null}""", "targeting.geometry_unsupported", "geometry")]
    [InlineData("""{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}""", "targeting.geometry_unsupported", "geometry.type")]
    [InlineData("""{"type":"FeatureCollection"}""", "geojson.malformed", "features")]
    [InlineData("""{"type":"Topology"}""", "targeting.geometry_unsupported", "type")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}}, 3]}""", "targeting.polygon_invalid", "features[0].geometry.coordinates")]
    public void ReadFeatures_BadDocument_ThrowsCodedError(string json, string code, string path)
    {
        var error = Assert.Throws<GeoJsonException>(() => ReadFeatures(json));

        Assert.Equal(code, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void WriteGeometry_MultiPolygonWithHole_RoundTrips()
    {
        var original = Read($$"""{"type":"MultiPolygon","coordinates":[[{{SquareRing}},{{Hole}}],[[[141,40],[141.1,40],[141.1,40.1],[141,40]]]]}""");

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            GeoJsonWriter.WriteGeometry(writer, original);
        }

        var json = Encoding.UTF8.GetString(stream.ToArray());
        var roundTripped = Read(json);

        Assert.StartsWith("""{"type":"MultiPolygon","coordinates":[[[[140.5,39.2]""", json, StringComparison.Ordinal);
        Assert.True(original.EqualsExact(roundTripped));
    }

    [Fact]
    public void WriteGeometry_Point_Throws()
    {
        using var stream = new MemoryStream();
        using var writer = new Utf8JsonWriter(stream);

        Assert.Throws<ArgumentException>(() => GeoJsonWriter.WriteGeometry(writer, new GeometryFactory().CreatePoint(new Coordinate(1, 2))));
    }
}
