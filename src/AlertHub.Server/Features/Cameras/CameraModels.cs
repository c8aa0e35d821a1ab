using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Cameras;

/// <summary>Camera kinds and statuses as the API spells them.</summary>
internal static class CameraKinds
{
    public const string Rtsp = "rtsp";
    public const string Hls = "hls";
    public const string JpegPoll = "jpeg-poll";
    public const string Mjpeg = "mjpeg";

    public static readonly IReadOnlySet<string> All = new HashSet<string> { Rtsp, Hls, JpegPoll, Mjpeg };

    /// <summary>Kinds whose worker runs ffmpeg.</summary>
    public static bool NeedsFfmpeg(string kind) => kind is Rtsp or Hls;
}

internal static class CameraStatuses
{
    public const string Unknown = "unknown";
    public const string Online = "online";
    public const string Stale = "stale";
    public const string Offline = "offline";
    public const string Frozen = "frozen";
}

internal sealed record GeoPoint(double? Lat, double? Lon);

/// <summary>POST/PUT body: the editable fields plus optional credentials (write-only).</summary>
internal sealed record CameraRequest(
    string? Name,
    string? Kind,
    string? Url,
    GeoPoint? Location,
    string? River,
    string? District,
    double? DirectionDegrees,
    double? FieldOfViewDegrees,
    int? SnapshotIntervalSeconds,
    bool? LiveEnabled,
    string? Username,
    string? Password);

internal sealed record CameraView(
    string Id,
    string Name,
    string Kind,
    string Url,
    GeoPoint Location,
    string? River,
    string? District,
    double? DirectionDegrees,
    double? FieldOfViewDegrees,
    int SnapshotIntervalSeconds,
    bool LiveEnabled,
    string Status,
    DateTimeOffset? StatusSince,
    DateTimeOffset? LastImageAt,
    string SnapshotUrl,
    string ThumbnailUrl,
    string? LiveUrl,
    bool HasCredentials,
    string? NormalDaySnapshotId)
{
    public static CameraView From(CameraRecord c, bool hasCredentials, string? status = null, DateTimeOffset? statusSince = null, DateTimeOffset? lastImageAt = null) => new(
        c.Id, c.Name, c.Kind, c.Url, new GeoPoint(c.Lat, c.Lon), c.River, c.District, c.DirectionDegrees, c.FieldOfViewDegrees,
        c.SnapshotIntervalSeconds, c.LiveEnabled, status ?? c.Status, statusSince ?? c.StatusSince, lastImageAt ?? c.LastImageAt,
        $"/api/cameras/{c.Id}/snapshot.jpg", $"/api/cameras/{c.Id}/thumbnail.jpg",
        c.LiveEnabled && c.Kind is CameraKinds.Rtsp or CameraKinds.Hls ? $"/live/{c.Id}/index.m3u8" : null,
        hasCredentials, c.NormalDaySnapshotId);
}

internal sealed record MediaEngineView(bool Available, string? Ffmpeg, string? Reason);

internal sealed record CameraListView(MediaEngineView MediaEngine, IReadOnlyList<CameraView> Cameras);

internal sealed record SnapshotView(string Id, DateTimeOffset At, string Url, string ThumbnailUrl);

internal sealed record NormalDayRequest(string? SnapshotId);


