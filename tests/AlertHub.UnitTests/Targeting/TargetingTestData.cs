using AlertHub.Core.Geo;
using AlertHub.Core.Targeting;
using NetTopologySuite.Geometries;

namespace AlertHub.UnitTests.Targeting;

internal static class TargetingTestData
{
    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    public static readonly DateTimeOffset Start = new(2026, 4, 1, 9, 0, 0, TimeSpan.FromHours(9));

    public static ResidentProfile Resident(
        Guid id,
        IEnumerable<(double Lat, double Lon)> places,
        string[]? household = null,
        string? language = "ja",
        string[]? tags = null,
        string[]? channels = null) =>
        new(
            id,
            household ?? [],
            language,
            tags ?? [],
            places.Select(p => new ResidentPlace(p.Lat, p.Lon)).ToArray(),
            channels ?? ["fcm"]);

    public static ResidentProfile At(Guid id, double lat, double lon, string[]? channels = null) =>
        Resident(id, [(lat, lon)], channels: channels);

    /// <summary>Axis-aligned lon/lat box as a polygon.</summary>
    public static Polygon Box(double minLon, double minLat, double maxLon, double maxLat, params Polygon[] holes) =>
        Factory.CreatePolygon(
            Ring(minLon, minLat, maxLon, maxLat),
            holes.Select(h => (LinearRing)h.ExteriorRing).ToArray());

    private static LinearRing Ring(double minLon, double minLat, double maxLon, double maxLat) =>
        Factory.CreateLinearRing(
        [
            new Coordinate(minLon, minLat), new Coordinate(maxLon, minLat), new Coordinate(maxLon, maxLat),
            new Coordinate(minLon, maxLat), new Coordinate(minLon, minLat),
        ]);

    public static Polygon Polygon(params (double Lon, double Lat)[] ring) =>
        Factory.CreatePolygon(ring.Append(ring[0]).Select(p => new Coordinate(p.Lon, p.Lat)).ToArray());

    public static ResidentIndex Load(TimeProvider time, bool bulk, IEnumerable<ResidentProfile> residents)
    {
        var index = new ResidentIndex(time);
        if (bulk)
        {
            index.BulkUpsert(residents);
        }
        else
        {
            foreach (var resident in residents)
            {
                index.Upsert(resident);
            }
        }

        return index;
    }

    public static Guid Id(int n) => new(n, 0, 0, [0, 0, 0, 0, 0, 0, 0, 1]);
}

/// <summary>The obvious, slow implementation the index must agree with.</summary>
internal sealed class BruteForceTargeting(TimeProvider time)
{
    private readonly Dictionary<Guid, ResidentProfile> _residents = [];
    private readonly Dictionary<Guid, (double Lat, double Lon, DateTimeOffset ExpiresAt)> _live = [];

    public IReadOnlyCollection<ResidentProfile> Residents => _residents.Values;

    public void Upsert(ResidentProfile resident) => _residents[resident.Id] = resident;

    public void Remove(Guid id)
    {
        _residents.Remove(id);
        _live.Remove(id);
    }

    public void SetLive(Guid id, double lat, double lon, DateTimeOffset expiresAt) => _live[id] = (lat, lon, expiresAt);

    public TargetResult Query(TargetQuery query)
    {
        var now = time.GetUtcNow();
        var allowed = query.Channels?.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var byArea = query.Shapes.Select(s => s.Key).Distinct().ToDictionary(k => k, _ => 0);
        var byChannel = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        if (allowed is not null)
        {
            foreach (var channel in allowed)
            {
                byChannel[channel] = 0;
            }
        }
        else
        {
            foreach (var channel in _residents.Values.SelectMany(r => r.Channels))
            {
                byChannel[channel] = 0;
            }
        }

        var recipients = new List<Guid>();
        var unreachable = 0;
        foreach (var resident in _residents.Values)
        {
            if (!Matches(query.Audience, resident))
            {
                continue;
            }

            var points = resident.Places.Select(p => (p.Lat, p.Lon)).ToList();
            if (query.IncludeCurrentLocations && _live.TryGetValue(resident.Id, out var live) && live.ExpiresAt > now)
            {
                points.Add((live.Lat, live.Lon));
            }

            var keys = query.Shapes.Where(s => points.Any(p => Inside(s, p.Lat, p.Lon))).Select(s => s.Key).Distinct().ToList();
            if (keys.Count == 0)
            {
                continue;
            }

            var channels = resident.Channels.Where(c => allowed is null || allowed.Contains(c)).ToList();
            if (channels.Count == 0)
            {
                unreachable++;
                continue;
            }

            recipients.Add(resident.Id);
            foreach (var key in keys)
            {
                byArea[key]++;
            }

            foreach (var channel in channels)
            {
                byChannel[channel]++;
            }
        }

        return new TargetResult(recipients.Count, unreachable, byChannel, byArea, recipients, TimeSpan.Zero);
    }

    public static bool Inside(TargetShape shape, double lat, double lon) => shape switch
    {
        PolygonShape p => p.Geometry.Covers(p.Geometry.Factory.CreatePoint(new Coordinate(lon, lat))),
        CircleShape c => Haversine.DistanceMeters(c.Lat, c.Lon, lat, lon) <= c.RadiusMeters,
        _ => throw new ArgumentException("unknown shape"),
    };

    public static bool Matches(AudienceFilter? audience, ResidentProfile resident) =>
        audience is null
        || (Matches(audience.HouseholdTags, resident.HouseholdTags)
            && Matches(audience.Languages, resident.Language is null ? [] : [resident.Language])
            && Matches(audience.Tags, resident.Tags));

    private static bool Matches(TagFilter? filter, IReadOnlyList<string> values)
    {
        if (filter is null)
        {
            return true;
        }

        var set = values.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return (filter.Any is not { Count: > 0 } any || any.Any(set.Contains))
            && (filter.All is not { Count: > 0 } all || all.All(set.Contains))
            && (filter.None is not { Count: > 0 } none || !none.Any(set.Contains));
    }
}
