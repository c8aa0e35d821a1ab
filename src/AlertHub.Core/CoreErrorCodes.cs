namespace AlertHub.Core;

/// <summary>
/// The codes Core itself raises (feed parsing, GeoJSON reading). The server's table
/// (<c>AlertHub.Server.Infrastructure.Problems</c>) includes these, so every code the hub answers with is in one list.
/// </summary>
public static class CoreErrorCodes
{
    public const string FeedDtdForbidden = "feeds.xml_dtd_forbidden";
    public const string FeedTooLarge = "feeds.too_large";
    public const string FeedTooDeep = "feeds.too_deep";
    public const string FeedXmlMalformed = "feeds.xml_malformed";
    public const string FeedEncodingInvalid = "feeds.encoding_invalid";
    public const string FeedUnrecognized = "feeds.unrecognized";
    public const string FeedInvalid = "feeds.invalid";

    public const string GeoJsonMalformed = "geojson.malformed";
    public const string GeometryUnsupported = "targeting.geometry_unsupported";
    public const string PolygonInvalid = "targeting.polygon_invalid";
    public const string CoordinatesOutOfRange = "targeting.coordinates_out_of_range";

    public static IReadOnlyList<ErrorCode> All { get; } =
    [
        new(FeedDtdForbidden, 422, "A feed document with a DTD or an external entity (refused and quarantined)."),
        new(FeedTooLarge, 413, "A feed document larger than Feeds:MaxDocumentBytes (quarantined)."),
        new(FeedTooDeep, 422, "A feed document nested deeper than Feeds:MaxDepth (quarantined)."),
        new(FeedXmlMalformed, 422, "A feed document that is not well-formed XML (quarantined)."),
        new(FeedEncodingInvalid, 422, "A feed document whose bytes do not match its declared encoding (quarantined)."),
        new(FeedUnrecognized, 422, "A feed document that is not JMA, L-Alert or CAP (quarantined)."),
        new(FeedInvalid, 422, "A recognised feed document that lacks what it must have (quarantined)."),
        new(GeoJsonMalformed, 400, "GeoJSON of the wrong shape; detail names the element, e.g. features[1].geometry.coordinates[0]."),
        new(GeometryUnsupported, 400, "A geometry type other than Polygon or MultiPolygon."),
        new(PolygonInvalid, 400, "A polygon that is not valid (unclosed ring, too few points, self-intersection)."),
        new(CoordinatesOutOfRange, 400, "A position outside longitude -180–180 or latitude -90–90."),
    ];
}
