using System.Text.Json.Nodes;
using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Population;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>Where a place stands relative to the target.</summary>
internal enum Placement
{
    Outside,
    Inside,
    /// <summary>Within the tolerance of a circle's edge: the hub's distance formula may call it either way.</summary>
    Edge,
}

/// <summary>
/// The sim's own, independent idea of the target area: the same geometry the hub uses, tested with NTS
/// Covers (boundary counts as inside, like the hub) or great-circle distance for circles.
/// </summary>
internal sealed class TargetArea
{
    private readonly IPreparedGeometry? _polygon;
    private readonly CircleArea? _circle;
    private readonly double _edgeTolerance;

    private TargetArea(string description, JsonObject wireArea, IPreparedGeometry? polygon, CircleArea? circle, double edgeTolerance)
    {
        Description = description;
        WireArea = wireArea;
        _polygon = polygon;
        _circle = circle;
        _edgeTolerance = edgeTolerance;
    }

    public string Description { get; }

    /// <summary>The <c>area</c> object of POST /api/alerts.</summary>
    public JsonObject WireArea { get; }

    public static TargetArea ForCircle(CircleArea circle, double edgeToleranceMeters) =>
        new(
            FormattableString.Invariant($"circle {circle.Lat},{circle.Lon} r={circle.RadiusMeters} m"),
            new JsonObject
            {
                ["circles"] = new JsonArray(new JsonObject
                {
                    ["lat"] = circle.Lat,
                    ["lon"] = circle.Lon,
                    ["radiusMeters"] = circle.RadiusMeters,
                }),
            },
            null,
            circle,
            edgeToleranceMeters);

    public static TargetArea ForHubArea(HubArea area, Geometry geometry) =>
        new(
            $"{area.Name} ({area.Id})",
            new JsonObject { ["areaIds"] = new JsonArray(area.Id) },
            PreparedGeometryFactory.Prepare(geometry),
            null,
            0);

    public Placement Locate(double lat, double lon)
    {
        if (_circle is { } c)
        {
            var d = Haversine.DistanceMeters(c.Lat, c.Lon, lat, lon);
            if (Math.Abs(d - c.RadiusMeters) <= _edgeTolerance)
            {
                return Placement.Edge;
            }

            return d <= c.RadiusMeters ? Placement.Inside : Placement.Outside;
        }

        return _polygon!.Covers(SimGeoJson.Factory.CreatePoint(new Coordinate(lon, lat))) ? Placement.Inside : Placement.Outside;
    }

    /// <summary>Inside if any place is inside; Edge if none is inside but one is on the edge.</summary>
    public Placement Locate(SimResident resident)
    {
        var result = Placement.Outside;
        foreach (var p in resident.Places)
        {
            var placement = Locate(p.Lat, p.Lon);
            if (placement == Placement.Inside)
            {
                return Placement.Inside;
            }

            if (placement == Placement.Edge)
            {
                result = Placement.Edge;
            }
        }

        return result;
    }
}
