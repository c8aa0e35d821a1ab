namespace AlertHub.Server.Features.Media;

/// <summary>
/// Somewhere an alert can take its picture from: a camera snapshot or a drone photo. An alert names
/// the source and an id (<c>"image": { "source": "camera-snapshot", "id": "..." }</c>); at issue time the
/// hub copies the JPEG through the source, strips its metadata and serves resized public copies.
/// Register implementations as <c>IAlertImageSource</c> singletons; <see cref="Source"/> must be unique.
/// </summary>
public interface IAlertImageSource
{
    /// <summary>The name alerts use, e.g. <c>camera-snapshot</c> or <c>drone-photo</c>.</summary>
    string Source { get; }

    /// <summary>The original JPEG for <paramref name="id"/>, or null when there is no such image.</summary>
    Task<AlertImageOriginal?> GetAsync(string id, CancellationToken cancellationToken);
}

/// <summary>An image as its source holds it, plus a caption staff and residents can read (camera name, time taken).</summary>
public sealed record AlertImageOriginal(byte[] Jpeg, string Caption, DateTimeOffset TakenAt);
