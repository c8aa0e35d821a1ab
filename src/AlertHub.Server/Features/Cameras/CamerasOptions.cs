namespace AlertHub.Server.Features.Cameras;

/// <summary>Configuration section <c>Cameras</c>: the media engine, freshness thresholds and snapshot storage.</summary>
public sealed class CamerasOptions
{
    public const string Section = "Cameras";

    /// <summary>
    /// Staff push for camera health: a webhook (e.g. the duty officers' LINE group bot or chat) that gets a signed JSON
    /// POST when a camera goes offline or frozen and when it is back. Default null: staff see it on the dashboard only.
    /// The URL passes the outbound allowlist like every URL the hub calls.
    /// </summary>
    public string? StaffWebhookUrl { get; set; }

    /// <summary>HMAC-SHA256 secret for <see cref="StaffWebhookUrl"/> (header <c>X-AlertHub-Signature</c>, the residents' webhook scheme). Required with the URL.</summary>
    public string? StaffWebhookSecret { get; set; }

    /// <summary>Run the camera supervisor (ffmpeg children, polling). Default true; the registry API works either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Path to ffmpeg. Default null: the first <c>ffmpeg</c> on PATH. When set, only this path is used.</summary>
    public string? FfmpegPath { get; set; }

    /// <summary>Folder for snapshots, thumbnails and live segments, relative to <c>Storage:DataDirectory</c> unless rooted. Default <c>cameras</c>.</summary>
    public string MediaDirectory { get; set; } = "cameras";

    /// <summary>Folder for live HLS segments (put it on tmpfs for many cameras). Default null: <c>live</c> inside each camera's media folder.</summary>
    public string? LiveDirectory { get; set; }

    /// <summary>Snapshot interval for new cameras when the request gives none. Default 60 s.</summary>
    public int DefaultSnapshotIntervalSeconds { get; set; } = 60;

    /// <summary>Snapshot interval while an active alert's area covers the camera (never slower than the camera's own). Default 10 s.</summary>
    public int AlertSnapshotIntervalSeconds { get; set; } = 10;

    /// <summary>How often the supervisor asks which alerts are active. Default 30 s.</summary>
    public TimeSpan AlertCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often freshness is evaluated. Default 1 s.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Stale when the newest image is older than this many snapshot intervals plus <see cref="StaleGrace"/>. Default 2.</summary>
    public double StaleAfterIntervals { get; set; } = 2;

    /// <summary>Added to the stale threshold (covers connect time and one GOP). Default 2 s.</summary>
    public TimeSpan StaleGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Offline when the newest image is older than this many snapshot intervals plus <see cref="OfflineGrace"/>. Default 3.</summary>
    public double OfflineAfterIntervals { get; set; } = 3;

    /// <summary>Added to the offline threshold. Default 5 s.</summary>
    public TimeSpan OfflineGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Frozen after this many consecutive byte-identical snapshots (the first one plus repeats). Default 3.</summary>
    public int FrozenAfterIdentical { get; set; } = 3;

    /// <summary>A new status must hold this long before it is recorded and pushed (ignores short blips). Default 3 s.</summary>
    public TimeSpan StatusDebounce { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Keep one snapshot in the history ring at most this often. Default 5 min.</summary>
    public TimeSpan HistoryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long history snapshots are kept. Default 7 days.</summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Thumbnail box (aspect kept). Default 320 × 180.</summary>
    public int ThumbnailWidth { get; set; } = 320;

    /// <summary>Thumbnail box height. Default 180.</summary>
    public int ThumbnailHeight { get; set; } = 180;

    /// <summary>Largest JPEG accepted from a camera or an ingest POST. Default 10 MiB.</summary>
    public int MaxSnapshotBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Stop an on-demand live relay after nobody has fetched its playlist for this long. Default 60 s.</summary>
    public TimeSpan LiveIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the first playlist request waits for a starting relay. Default 10 s.</summary>
    public TimeSpan LiveStartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>HLS segment length of the relay (seconds, cut at keyframes). Default 1.</summary>
    public int LiveSegmentSeconds { get; set; } = 1;

    /// <summary>First restart delay after a failure; doubles up to <see cref="MaxRestartDelay"/>, jittered. Default 1 s.</summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest restart delay. Default 60 s.</summary>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout for one upstream request or one-shot snapshot. Default 15 s.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a node's hold on a camera (lease <c>camera.{id}</c>) lasts unless renewed. Default 15 s. Only the holder runs
    /// the camera's worker (its poll or ffmpeg) and judges its status, so on a cluster a camera whose node dies is taken
    /// over within this plus <see cref="LeaseRenewInterval"/>. On SQLite (one node) the node always holds every camera.
    /// </summary>
    public TimeSpan LeaseTimeToLive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often the holder renews its camera leases and the other nodes ask for them. Default 5 s: one small database
    /// statement per camera and node each time, so 50 cameras on 3 nodes cost 30 a second. At most a third of
    /// <see cref="LeaseTimeToLive"/>, so a renewal that fails is tried again before the holder has to stop the worker.
    /// </summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(5);
}
