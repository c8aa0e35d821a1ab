namespace AlertHub.Core.Storage;

/// <summary>A registered camera as stored. Its credentials live in a table of their own and are never part of this record.</summary>
internal sealed record CameraRecord(
    string Id,
    string Name,
    string Kind,
    string Url,
    double Lat,
    double Lon,
    string? River,
    string? District,
    double? DirectionDegrees,
    double? FieldOfViewDegrees,
    int SnapshotIntervalSeconds,
    bool LiveEnabled,
    string Status,
    DateTimeOffset? StatusSince,
    DateTimeOffset? LastImageAt,
    string? NormalDaySnapshotId,
    DateTimeOffset UpdatedAt);

/// <summary>What the hub sends to a camera that asks for a login (HTTP Basic, or inside the RTSP URL).</summary>
internal sealed record CameraCredentials(string Username, string Password);

/// <summary>One recorded status transition of a camera.</summary>
internal sealed record TimelineEntry(DateTimeOffset At, string Status, string Previous, string? Reason);

/// <summary>
/// Cameras, their credentials, the snapshot history ring and the status timeline: the owner of the <c>cameras</c>,
/// <c>camera_credentials</c>, <c>camera_snapshots</c> and <c>camera_timeline</c> tables. The images themselves are files
/// under the cameras' media folder; only their rows are here.
/// </summary>
/// <remarks>
/// Credentials are kept apart from the camera rows so that nothing that lists or reads cameras can return them: only
/// <see cref="GetCredentialsAsync"/> reads a password. Passwords are stored encrypted by <see cref="ISecretProtector"/> on every
/// engine. Instants come back with the offset they were written with on SQLite and
/// in UTC on PostgreSQL; either way the same instant.
/// </remarks>
internal interface ICameraStore
{
    /// <summary>Every camera, ordered by name, then id (code-point order on every engine).</summary>
    Task<IReadOnlyList<CameraRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Null when there is no such camera.</summary>
    Task<CameraRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The ids of the cameras that have credentials stored (never the credentials).</summary>
    Task<IReadOnlySet<string>> IdsWithCredentialsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The camera's credentials, or null when it has none (or there is no such camera, or its password can no longer be
    /// decrypted: see <see cref="ISecretProtector.Unprotect"/>).
    /// </summary>
    Task<CameraCredentials?> GetCredentialsAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts (<paramref name="isNew"/>, with status <c>unknown</c> and <see cref="CameraRecord.UpdatedAt"/> as its creation time) or
    /// updates the editable fields of a camera (name, kind, url, position, river, district, direction, field of view, interval,
    /// live, updated-at; its status, last image and normal-day image stay), together with its credentials in one transaction.
    /// An insert of an id that exists throws.
    /// </summary>
    /// <param name="credentials">Null leaves stored credentials as they are; an empty username removes them.</param>
    Task SaveAsync(CameraRecord camera, CameraCredentials? credentials, bool isNew, CancellationToken cancellationToken);

    /// <summary>
    /// Encrypts every password stored before passwords were protected (hubs upgraded from an older version), in one transaction;
    /// returns how many. Run once at start; a second run finds none.
    /// </summary>
    Task<int> ProtectLegacyCredentialsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the camera with its credentials, snapshot rows and timeline; false when there was no such camera.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);

    /// <summary>Sets the camera's status and appends the transition to its timeline, both or neither; nothing for an unknown camera.</summary>
    Task RecordStatusAsync(string id, string status, string previous, DateTimeOffset at, string? reason, CancellationToken cancellationToken);

    Task SetLastImageAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="limit"/> transitions of the camera, oldest first (in the order they were recorded).</summary>
    Task<IReadOnlyList<TimelineEntry>> TimelineAsync(string id, int limit, CancellationToken cancellationToken);

    /// <summary>Records a history image of the camera (<paramref name="source"/>: the camera kind, or how it arrived).</summary>
    Task AddSnapshotAsync(string id, string cameraId, DateTimeOffset at, long size, string source, CancellationToken cancellationToken);

    /// <summary>
    /// History snapshots of a camera taken in [<paramref name="from"/>, <paramref name="to"/>] (either bound may be open), oldest
    /// first, at most <paramref name="limit"/>: the oldest ones from <paramref name="from"/> on, or without a lower bound the newest
    /// ones up to <paramref name="to"/> (a scrubber over the recent past).
    /// </summary>
    Task<IReadOnlyList<(string Id, DateTimeOffset At)>> SnapshotsAsync(string cameraId, DateTimeOffset? from, DateTimeOffset? to, int limit,
        CancellationToken cancellationToken);

    /// <summary>The camera and time of a history snapshot; null when there is no such snapshot.</summary>
    Task<(string CameraId, DateTimeOffset At)?> FindSnapshotAsync(string snapshotId, CancellationToken cancellationToken);

    /// <summary>Pins a history snapshot as the camera's normal-day image (the caller checks that it belongs to the camera).</summary>
    Task SetNormalDayAsync(string cameraId, string snapshotId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the history rows taken before <paramref name="before"/>, except any camera's pinned normal-day image, and returns
    /// them so that their files can go too.
    /// </summary>
    Task<IReadOnlyList<(string Id, string CameraId)>> PruneSnapshotsAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
