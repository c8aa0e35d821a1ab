using System.Diagnostics;
using System.Text.Json;
using AlertHub.Core.Geo;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Areas;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Targeting;

/// <summary>
/// Owns the in-memory <see cref="ResidentIndex"/> (loaded from the store at start, kept in step by every
/// resident change) and turns API area/audience specs into targeting queries.
/// </summary>
internal sealed partial class TargetingService(
    ResidentIndex index,
    AreaStore areas,
    ResidentStore residents,
    ChannelRegistry channels,
    AreaNames areaNames,
    AlertHubTelemetry telemetry,
    ILogger<TargetingService> logger)
{
    private const double MaxRadiusMeters = 2_000_000;

    public ResidentIndex Index => index;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var batch = new List<ResidentProfile>(50_000);
        await foreach (var profile in residents.ReadProfilesAsync(null, cancellationToken))
        {
            batch.Add(profile);
            if (batch.Count == batch.Capacity)
            {
                Index.BulkUpsert(batch);
                batch.Clear();
            }
        }

        Index.BulkUpsert(batch);
        foreach (var (id, lat, lon, expires) in await residents.ReadLiveLocationsAsync(cancellationToken))
        {
            Index.SetCurrentLocation(id, lat, lon, expires);
        }

        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogLoaded(logger, Index.Count, elapsedMs);
    }

    public TargetResult Query(AreaSpec? area, AudienceSpec? audience, IReadOnlyCollection<string>? channelNames, bool includeCurrentLocations, bool collect)
    {
        var shapes = ResolveShapes(area);
        var filter = ToFilter(audience);
        if (channelNames is not null)
        {
            foreach (var name in channelNames)
            {
                if (name is null || !channels.IsKnown(name))
                {
                    throw new RequestValidationException(Problems.AlertChannelUnknown, $"Channel '{name}' is not enabled. Enabled: {string.Join(", ", channels.Names)}.");
                }
            }
        }

        var result = Index.Query(new TargetQuery(shapes, filter, channelNames, includeCurrentLocations, collect));
        telemetry.TargetingDuration.Record(result.Elapsed.TotalMilliseconds);
        return result;
    }

    public IReadOnlyDictionary<string, AreaCount> DescribeAreas(AreaSpec? area, TargetResult result)
    {
        var names = ResolveShapes(area).ToDictionary(s => s.Key, s => s.Name);
        return result.ByArea.ToDictionary(kv => kv.Key, kv => new AreaCount(names.GetValueOrDefault(kv.Key, kv.Key), kv.Value));
    }

    /// <summary>A readable name for the whole area (used in messages), drawn shapes named after what they cover (see <see cref="AreaNames"/>).</summary>
    public string DescribeAreaName(AreaSpec? area) => areaNames.Describe(ResolveShapes(area));

    public IReadOnlyList<TargetShape> ResolveShapes(AreaSpec? area)
    {
        if (area is null)
        {
            throw new RequestValidationException(Problems.AreaEmpty, "area is required: areaIds, geometry, circles or codes.");
        }

        CheckReferences(area.AreaIds, "areaIds");
        CheckReferences(area.Codes, "codes");
        var shapes = new List<TargetShape>();
        foreach (var id in area.AreaIds ?? [])
        {
            var found = areas.Find(id) ?? throw new RequestValidationException(Problems.AreaNotFound, $"No area with id '{id}'.",
                new Dictionary<string, object?> { ["areaId"] = id });
            shapes.Add(new PolygonShape(found.Id, found.Name, found.Geometry));
        }

        foreach (var code in area.Codes ?? [])
        {
            var matches = areas.FindByCode(code);
            if (matches.Count == 0)
            {
                throw new RequestValidationException(Problems.AreaCodeUnknown, $"No area is registered for code '{code}'. Import the boundary with that code first.",
                    new Dictionary<string, object?> { ["code"] = code });
            }

            shapes.AddRange(matches.Where(m => shapes.All(s => s.Key != m.Id)).Select(m => new PolygonShape(m.Id, m.Name, m.Geometry)));
        }

        if (area.Geometry is { ValueKind: JsonValueKind.Object } geometry)
        {
            var type = geometry.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type is "Feature" or "FeatureCollection")
            {
                foreach (var feature in GeoJsonReader.ReadFeatures(geometry))
                {
                    shapes.Add(new PolygonShape($"geometry[{feature.Index}]", "描画区域", feature.Geometry));
                }
            }
            else
            {
                shapes.Add(new PolygonShape("geometry", "描画区域", GeoJsonReader.ReadGeometry(geometry, "area.geometry")));
            }
        }

        var circles = area.Circles ?? [];
        for (var i = 0; i < circles.Length; i++)
        {
            var c = circles[i];
            // Written so NaN fails every test: "NaN" is a number to a JSON reader that accepts numbers in strings.
            if (c is null || c.Lat is not double lat || c.Lon is not double lon || c.RadiusMeters is not double radius
                || !(lat is >= -90 and <= 90) || !(lon is >= -180 and <= 180) || !(radius is > 0 and <= MaxRadiusMeters))
            {
                throw new RequestValidationException(Problems.CircleInvalid,
                    $"circles[{i}] needs lat, lon and radiusMeters in (0, {MaxRadiusMeters}].", new Dictionary<string, object?> { ["index"] = i });
            }

            shapes.Add(new CircleShape($"circle[{i}]", $"半径{radius:0}m", lat, lon, radius));
        }

        if (shapes.Count == 0)
        {
            throw new RequestValidationException(Problems.AreaEmpty, "area is empty: give areaIds, geometry, circles or codes.");
        }

        return shapes;
    }

    private static void CheckReferences(string[]? values, string field)
    {
        for (var i = 0; i < (values?.Length ?? 0); i++)
        {
            if (string.IsNullOrWhiteSpace(values![i]) || values[i].Length > 200)
            {
                throw new RequestValidationException(Problems.AreaReferenceInvalid, $"{field}[{i}] must be a non-empty string of at most 200 characters.",
                    new Dictionary<string, object?> { ["field"] = field, ["index"] = i });
            }
        }
    }

    public static AudienceFilter? ToFilter(AudienceSpec? audience)
    {
        if (audience is null)
        {
            return null;
        }

        return new AudienceFilter(Tags(audience.HouseholdTags), Tags(audience.Languages), Tags(audience.Tags));

        static TagFilter? Tags(TagFilterDto? dto) => dto is null ? null : new TagFilter(Clean(dto.Any), Clean(dto.All), Clean(dto.None));

        static string[]? Clean(string[]? values) => values?.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim().ToLowerInvariant()).ToArray();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Targeting index loaded: {Residents} residents in {ElapsedMs:0} ms")]
    private static partial void LogLoaded(ILogger logger, int residents, double elapsedMs);
}
