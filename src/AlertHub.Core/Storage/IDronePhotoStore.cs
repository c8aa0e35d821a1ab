namespace AlertHub.Core.Storage;

/// <summary>How a drone photo's capture time got its offset.</summary>
internal enum TakenAtZone
{
    /// <summary>No capture time in the photo.</summary>
    None,

    /// <summary>EXIF OffsetTimeOriginal (or the older TimeZoneOffset tag) gave the offset.</summary>
    Exif,

    /// <summary>No offset recorded; the drone's clock is assumed to run on Japan time (UTC+9).</summary>
    AssumedJst,
}

/// <summary>What a stored drone photo says about its capture (from EXIF and DJI XMP); every field may be absent.</summary>
internal sealed record DronePhotoCapture(
    DateTimeOffset? TakenAt,
    TakenAtZone TakenAtZone,
    string? Make,
    string? Model,
    double? Altitude,
    double? RelativeAltitude,
    double? GimbalYawDegrees,
    double? GimbalPitchDegrees,
    double? FlightYawDegrees);

/// <summary>One stored drone photo (a row of <c>drone_photos</c>); its position is from EXIF or placed by staff.</summary>
internal sealed record DronePhoto(
    string Id,
    DateTimeOffset ReceivedAt,
    string UploadedBy,
    string Sha256,
    long Size,
    int Width,
    int Height,
    DronePhotoCapture Capture,
    double? Latitude,
    double? Longitude,
    string? PositionSource,
    string? Note);

/// <summary>
/// The rows of drone photos: the owner of the <c>drone_photos</c> table. The original JPEG and its thumbnail are files in the
/// hub's data directory, written before the row, so a row always has its files; the store keeps only the metadata.
/// </summary>
/// <remarks>Instants come back in UTC on PostgreSQL and with the offset they were written with on SQLite: the same instant.</remarks>
internal interface IDronePhotoStore
{
    /// <summary>Adds the row; an id that exists throws.</summary>
    Task AddAsync(DronePhoto photo, CancellationToken cancellationToken);

    /// <summary>Null when there is no such photo.</summary>
    Task<DronePhoto?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The photo with that SHA-256 (lowercase hex), the first received if there are several; null when none.</summary>
    Task<DronePhoto?> FindBySha256Async(string sha256, CancellationToken cancellationToken);

    /// <summary>Photos received at or after <paramref name="since"/> (all when null), oldest first, then by id; at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DronePhoto>> ListAsync(DateTimeOffset? since, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Staff placed the photo by hand (position source <c>manual</c>), inside the caller's transaction so that the audit row
    /// commits with it; false when there is no such photo.
    /// </summary>
    Task<bool> SetPositionAsync(string id, double lat, double lon, IStoreTransaction transaction, CancellationToken cancellationToken);
}
