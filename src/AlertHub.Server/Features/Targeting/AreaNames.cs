using System.Globalization;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Places;
using NetTopologySuite.Geometries;

namespace AlertHub.Server.Features.Targeting;

/// <summary>
/// Names an alert's area the way residents read it. Named areas keep their names; a shape staff drew on the map is named
/// after the places it covers: the 町字 inside it (when 町字 points are imported), else the districts it touches; a circle
/// after the 町字 at its centre and its radius in round figures — 「朝倉町付近から半径約2.7km」, never 「描画区域・半径2658m」.
/// </summary>
internal sealed class AreaNames(AreaStore areas, TownPointStore towns)
{
    /// <summary>How far from a circle's centre (or a small drawn shape's) a 町字 point may be and still name it 「…付近」.</summary>
    public const double NearbyMeters = 1_500;

    private const int MaxNames = 3;

    /// <summary>A readable name for the whole area (used in messages): the parts' names joined, or "" for no shapes.</summary>
    public string Describe(IReadOnlyList<TargetShape> shapes)
    {
        var names = shapes.Select(Name).Where(n => n.Length > 0).Distinct().ToList();
        return names.Count switch
        {
            0 => "",
            <= MaxNames => string.Join("・", names),
            _ => $"{string.Join("・", names.Take(MaxNames))} ほか{names.Count - MaxNames}区域",
        };
    }

    private string Name(TargetShape shape) => shape switch
    {
        CircleShape circle => CircleName(circle),
        PolygonShape polygon when IsDrawn(polygon) => DrawnName(polygon.Geometry),
        _ => shape.Name,
    };

    // Named areas are keyed by their id; shapes drawn inline are keyed by where they sat in the request.
    private static bool IsDrawn(PolygonShape polygon) => polygon.Key.StartsWith("geometry", StringComparison.Ordinal);

    private string CircleName(CircleShape circle)
    {
        var radius = Radius(circle.RadiusMeters);
        if (towns.Nearest(circle.Lat, circle.Lon, NearbyMeters) is { } town)
        {
            return $"{town.Town}付近から半径約{radius}";
        }

        var centre = GeometryFactory.Default.CreatePoint(new Coordinate(circle.Lon, circle.Lat));
        return DistrictsCovering(centre).FirstOrDefault() is { } district
            ? $"{district.Name}の一部（半径約{radius}の範囲）"
            : $"指定した地点から半径約{radius}";
    }

    private string DrawnName(Geometry geometry)
    {
        var inside = towns.TownsWithin(geometry);
        if (inside.Count > 0)
        {
            return inside.Count <= MaxNames
                ? string.Join("・", inside)
                : $"{string.Join("・", inside.Take(MaxNames))} ほか{inside.Count - MaxNames}町字";
        }

        var centre = geometry.InteriorPoint;
        if (towns.Nearest(centre.Y, centre.X, NearbyMeters) is { } near)
        {
            return $"{near.Town}付近";
        }

        var touched = DistrictsCovering(geometry).ToList();
        if (touched.Count == 0)
        {
            return "指定区域";
        }

        var names = string.Join("・", touched.Take(MaxNames).Select(d => d.Name));
        return touched.Count == 1 && geometry.Covers(touched[0].Geometry) ? names : $"{names}の一部";
    }

    private IEnumerable<Area> DistrictsCovering(Geometry geometry) =>
        areas.All.Where(a => AreaKinds.Public.Contains(a.Kind) && a.Geometry.Intersects(geometry))
            .OrderByDescending(a => Overlap(a.Geometry, geometry));

    private static double Overlap(Geometry a, Geometry b)
    {
        try
        {
            return a.Intersection(b).Area;
        }
        catch (TopologyException)
        {
            return 0; // only the order of the names depends on it
        }
    }

    /// <summary>「500m」 under a kilometre (to 10 m), else kilometres to one decimal: 「2.7km」, 「3km」.</summary>
    internal static string Radius(double meters) =>
        meters < 1_000
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(10, Math.Round(meters / 10) * 10):0}m")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(meters / 1_000, 1):0.#}km");
}
