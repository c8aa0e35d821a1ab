namespace AlertHub.Core.Storage;

/// <summary>
/// The record of one alert picture: where it was copied from, when and by whom, and the size of the two public copies
/// (<c>{id}.jpg</c> and <c>{id}-small.jpg</c>, files in the hub's data directory).
/// </summary>
internal sealed record AlertImageRecord(
    string Id,
    string Source,
    string SourceId,
    string? Caption,
    DateTimeOffset? TakenAt,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    int Width,
    int Height,
    int Bytes,
    int SmallBytes);

/// <summary>
/// The owner of the <c>alert_images</c> table: a row per picture copied for an alert. The JPEGs are files written before the
/// row; only their metadata is stored.
/// </summary>
internal interface IAlertImageStore
{
    /// <summary>Adds the row; an id that exists throws.</summary>
    Task AddAsync(AlertImageRecord image, CancellationToken cancellationToken);

    /// <summary>Null when there is no such image.</summary>
    Task<AlertImageRecord?> GetAsync(string id, CancellationToken cancellationToken);
}
