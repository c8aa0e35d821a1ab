using System.Text.Json.Serialization;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Dashboard;

// What staff dashboards hear, one record per event (IStaffClient names the events). Features build them; the
// dashboard's JavaScript reads them by these (camelCase) names, so a renamed property is a change of the wire format.

/// <summary><c>alertIssued</c>: a version of an alert was stored with its outbox rows (issue, update, cancel, all-clear).</summary>
internal sealed record AlertIssuedEvent(string Id, int Version, string MsgType, string Status, string Event, string Severity, string AreaName,
    int Recipients, IReadOnlyDictionary<string, int> ByChannel, DateTimeOffset Sent, string? ImageUrl);

/// <summary><c>alertDraft</c>: a draft was submitted, approved or rejected.</summary>
internal sealed record AlertDraftEvent(string Id, string State, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? DecidedAt, string? DecidedBy,
    string? Reason, string? AlertId, string? Rule, string? UpdatesAlertId, string? Event, string? Status, string? Headline);

/// <summary><c>deliveryProgress</c>: one channel's counts for an alert version after a batch.</summary>
internal sealed record DeliveryProgress(string AlertId, int Version, string Channel, int Delivered, int Failed, int Gone, int Retrying, DateTimeOffset At);

/// <summary><c>feedEvent</c>: a feed document was accepted, and what the rules did with it.</summary>
internal sealed record FeedEventNotice(string Id, string Family, string Lifecycle, string Operational, string? Category, string? Headline,
    bool Applied, string? Outcome, string? AlertId);

/// <summary><c>cameraStatus</c>: a camera changed status (online, stale, frozen, offline…).</summary>
internal sealed record CameraStatusEvent(string CameraId, string Status, string Previous, DateTimeOffset At, string? Reason);

/// <summary><c>cameraSnapshot</c>: a camera has a new latest image.</summary>
internal sealed record CameraSnapshotEvent(string CameraId, DateTimeOffset At, string Url);

/// <summary><c>safetyReply</c> (and an item of <c>GET /api/safety</c>): a resident's 安否 reply as a GeoJSON Feature.</summary>
internal sealed record SafetyFeature(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] PointGeometry? Geometry,
    SafetyProperties Properties);

/// <summary>positionSource: <c>reply</c> (sent with the reply), <c>place</c> (the resident's first registered place) or null.</summary>
internal sealed record SafetyProperties(long Id, Guid ResidentId, string Status, string? AlertId, string? Note, DateTimeOffset At, string? PositionSource);

/// <summary><c>dronePhoto</c> (and an item of <c>GET /api/drone-photos</c>): a drone photo as the map sees it (a GeoJSON Feature).</summary>
internal sealed record DronePhotoFeature(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] PointGeometry? Geometry,
    DronePhotoProperties Properties)
{
    public string Type => "Feature";

    public string Id => Properties.Id;
}

/// <summary>Properties of <see cref="DronePhotoFeature"/>; nulls are written so every feature has the same keys.</summary>
internal sealed record DronePhotoProperties(
    string Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? TakenAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? TakenAtTimeZone,
    DateTimeOffset ReceivedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Make,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Model,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Altitude,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? RelativeAltitude,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? GimbalYawDegrees,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? GimbalPitchDegrees,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? FlightYawDegrees,
    bool NeedsManualPlacement,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? PositionSource,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Note,
    int Width,
    int Height,
    string PhotoUrl,
    string ThumbnailUrl);

/// <summary>A shelter's position in <see cref="ShelterStatusEvent"/>.</summary>
internal sealed record ShelterLocation(double Lat, double Lon);

/// <summary><c>shelterStatus</c> (public: residents' pages hear it too): the shelter as GET shows it, what its status was, and whether it was removed.</summary>
internal sealed record ShelterStatusEvent(string Id, string Name, string? NameEn, ShelterLocation Location, string Status, int? Capacity, int? Occupancy,
    DateTimeOffset UpdatedAt, string? Previous, bool Deleted);

/// <summary><c>sheltersImported</c> (public): an official list was imported.</summary>
internal sealed record SheltersImportedEvent(int Added, int Updated);
