using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Targeting;
using NetTopologySuite.Geometries;

namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>
/// The 地区 an alert orders, from its area: named hub areas are 地区 by their name (a 12-digit code on the area is its 大字・町丁目
/// code); the municipality's own code means the whole municipality; a drawn shape or circle names the district areas it
/// touches, or — when it touches none — stands as one 地区 under the alert's area name.
/// </summary>
internal static class LAlertDistricts
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    public static List<LAlertDistrict> Resolve(AlertDocument alert, AreaStore areas, TargetingService targeting, string municipalityCode)
    {
        var result = new Dictionary<string, LAlertDistrict>(StringComparer.Ordinal);
        void Add(LAlertDistrict d) => result.TryAdd(d.Key, d);

        var spec = alert.Area;
        foreach (var id in spec.AreaIds ?? [])
        {
            if (areas.Find(id) is { } area)
            {
                Add(FromArea(area, municipalityCode));
            }
        }

        foreach (var code in spec.Codes ?? [])
        {
            if (AreaCodes.Normalise(code) == municipalityCode)
            {
                Add(Whole(municipalityCode));
                continue;
            }

            foreach (var area in areas.FindByCode(code))
            {
                Add(FromArea(area, municipalityCode));
            }
        }

        var inline = spec with { AreaIds = null, Codes = null };
        if (inline.Geometry is not null || inline.Circles is { Length: > 0 })
        {
            var shapes = targeting.ResolveShapes(inline).Select(ToGeometry).OfType<Geometry>().ToList();
            var touched = areas.All.Where(a => a.Kind == "district" && shapes.Any(s => s.Intersects(a.Geometry))).ToList();
            foreach (var area in touched)
            {
                Add(FromArea(area, municipalityCode));
            }

            if (touched.Count == 0 && shapes.Count > 0)
            {
                var point = shapes[0].InteriorPoint;
                Add(new LAlertDistrict("name:" + alert.AreaName, string.IsNullOrWhiteSpace(alert.AreaName) ? "指定区域" : alert.AreaName, null, null,
                    Math.Round(point.Y, 6), Math.Round(point.X, 6)));
            }
        }

        return [.. result.Values];
    }

    public static LAlertDistrict Whole(string municipalityCode) => new("jis:" + municipalityCode, municipalityCode, null, null, null, null, WholeMunicipality: true);

    private static LAlertDistrict FromArea(Area area, string municipalityCode)
    {
        if (area.Code is { } code && AreaCodes.Normalise(code) == municipalityCode)
        {
            return Whole(municipalityCode);
        }

        var town = area.Code is { Length: 12 } c && c.All(char.IsAsciiDigit) && c.StartsWith(municipalityCode, StringComparison.Ordinal) ? c : null;
        var point = area.Geometry.InteriorPoint;
        return new LAlertDistrict(town is null ? "name:" + area.Name : "town:" + town, area.Name, null, town, Math.Round(point.Y, 6), Math.Round(point.X, 6));
    }

    /// <summary>A circle as a 32-gon on the local tangent plane (good enough to ask which districts it touches).</summary>
    private static Geometry? ToGeometry(TargetShape shape) => shape switch
    {
        PolygonShape p => p.Geometry,
        CircleShape c => Circle(c.Lat, c.Lon, c.RadiusMeters),
        _ => null,
    };

    private static Polygon Circle(double lat, double lon, double radiusMeters)
    {
        const int n = 32;
        var coordinates = new Coordinate[n + 1];
        var dLat = radiusMeters / 111_320d;
        var dLon = radiusMeters / (111_320d * Math.Cos(lat * Math.PI / 180));
        for (var i = 0; i < n; i++)
        {
            var a = 2 * Math.PI * i / n;
            coordinates[i] = new Coordinate(lon + (dLon * Math.Cos(a)), lat + (dLat * Math.Sin(a)));
        }

        coordinates[n] = coordinates[0];
        return Factory.CreatePolygon(coordinates);
    }
}
