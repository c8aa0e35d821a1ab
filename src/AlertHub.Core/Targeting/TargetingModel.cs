using NetTopologySuite.Geometries;

namespace AlertHub.Core.Targeting;

/// <summary>A place a resident registered (home, work, school…). Coordinates are WGS84 degrees.</summary>
public sealed record ResidentPlace(double Lat, double Lon, string? Label = null);

/// <summary>What the targeting engine needs to know about one resident.</summary>
/// <param name="Id">Resident id.</param>
/// <param name="HouseholdTags">Household tags such as <c>elderly</c>, <c>children</c>, <c>care-needed</c>.</param>
/// <param name="Language">Preferred language (BCP-47 like <c>ja</c>, <c>en</c>, <c>ja-x-easy</c>), or null.</param>
/// <param name="Tags">Free tags.</param>
/// <param name="Places">Up to 5 registered places.</param>
/// <param name="Channels">Names of the channels the resident has an active endpoint on.</param>
public sealed record ResidentProfile(
    Guid Id,
    IReadOnlyList<string> HouseholdTags,
    string? Language,
    IReadOnlyList<string> Tags,
    IReadOnlyList<ResidentPlace> Places,
    IReadOnlyCollection<string> Channels);

/// <summary>any-of / all-of / none-of over a set of values. Empty lists impose no condition.</summary>
public sealed record TagFilter(
    IReadOnlyList<string>? Any = null,
    IReadOnlyList<string>? All = null,
    IReadOnlyList<string>? None = null)
{
    public bool IsEmpty => (Any is null || Any.Count == 0) && (All is null || All.Count == 0) && (None is null || None.Count == 0);
}

/// <summary>Who, among the residents inside the area, should hear the alert. Every non-empty part must match.</summary>
public sealed record AudienceFilter(
    TagFilter? HouseholdTags = null,
    TagFilter? Languages = null,
    TagFilter? Tags = null)
{
    public static AudienceFilter Everyone { get; } = new();
}

/// <summary>One named part of a target area; a resident is inside the area when inside any part.</summary>
public abstract record TargetShape(string Key, string Name);

/// <summary>A Polygon or MultiPolygon in lon/lat (x = lon, y = lat). The boundary counts as inside.</summary>
public sealed record PolygonShape(string Key, string Name, Geometry Geometry) : TargetShape(Key, Name);

/// <summary>A geodesic circle (great-circle distance ≤ radius counts as inside).</summary>
public sealed record CircleShape(string Key, string Name, double Lat, double Lon, double RadiusMeters) : TargetShape(Key, Name);

/// <param name="Shapes">The union of these is the area.</param>
/// <param name="Audience">Attribute filter; null means everyone.</param>
/// <param name="Channels">Channels the alert may use; null means every channel the resident has.</param>
/// <param name="IncludeCurrentLocations">Whether unexpired device locations count as places.</param>
/// <param name="CollectRecipients">Whether to return the recipient ids (the preview only needs counts).</param>
public sealed record TargetQuery(
    IReadOnlyList<TargetShape> Shapes,
    AudienceFilter? Audience = null,
    IReadOnlyCollection<string>? Channels = null,
    bool IncludeCurrentLocations = true,
    bool CollectRecipients = false);

/// <param name="Recipients">Residents inside the area who match the audience and have at least one endpoint on an allowed channel. Each counts once.</param>
/// <param name="Unreachable">Residents inside the area who match the audience but have no endpoint on an allowed channel.</param>
/// <param name="ByChannel">Recipients reachable per channel (a resident with two channels counts in both).</param>
/// <param name="ByArea">Recipients per shape key (a resident inside two shapes counts in both).</param>
/// <param name="RecipientIds">The recipient ids when <see cref="TargetQuery.CollectRecipients"/> was set, else empty.</param>
public sealed record TargetResult(
    int Recipients,
    int Unreachable,
    IReadOnlyDictionary<string, int> ByChannel,
    IReadOnlyDictionary<string, int> ByArea,
    IReadOnlyList<Guid> RecipientIds,
    TimeSpan Elapsed)
{
    /// <summary>With <see cref="TargetQuery.CollectRecipients"/>: per allowed channel, the recipients reachable on it (what the outbox queues).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Guid>> RecipientsByChannel { get; init; } = new Dictionary<string, IReadOnlyList<Guid>>();
}
