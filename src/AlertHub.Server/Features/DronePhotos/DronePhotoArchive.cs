using AlertHub.Core.Storage;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.DronePhotos;

/// <summary>A stored photo as the map and the <c>dronePhoto</c> staff event see it.</summary>
internal static class DronePhotoFeatures
{
    public static DronePhotoFeature From(DronePhoto p) => new(
        p.Latitude is { } lat && p.Longitude is { } lon ? PointGeometry.At(lat, lon) : null,
        new DronePhotoProperties(p.Id, p.Capture.TakenAt?.ToUniversalTime(), p.Capture.TakenAtZone switch
        {
            TakenAtZone.Exif => "exif",
            TakenAtZone.AssumedJst => "assumed-jst",
            _ => null,
        }, p.ReceivedAt, p.Capture.Make, p.Capture.Model, p.Capture.Altitude, p.Capture.RelativeAltitude, p.Capture.GimbalYawDegrees,
            p.Capture.GimbalPitchDegrees, p.Capture.FlightYawDegrees, p.Latitude is null, p.PositionSource, p.Note, p.Width, p.Height,
            $"/api/drone-photos/{p.Id}.jpg", $"/api/drone-photos/{p.Id}/thumbnail.jpg"));
}

/// <summary>
/// Drone photos: the original file and its thumbnail under <c>{DataDirectory}/drone-photos/</c>, a row per photo in the
/// <see cref="IDronePhotoStore"/>. Originals keep their EXIF (staff need it); they are never served publicly.
/// </summary>
internal sealed class DronePhotoArchive(IDronePhotoStore store, StoragePaths paths)
{
    private readonly string _directory = Path.Combine(paths.DataDirectory, "drone-photos");

    public string OriginalPath(string id) => Path.Combine(_directory, id + ".jpg");

    public string ThumbnailPath(string id) => Path.Combine(_directory, id + "-thumb.jpg");

    /// <summary>Ids are 32 lowercase hex characters; anything else never touches the file system.</summary>
    public static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>Writes the files first (to temporary names, then renamed) and the row last, so a row always has its files.</summary>
    public async Task AddAsync(DronePhoto photo, byte[] original, byte[] thumbnail, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(_directory);
        await WriteFileAsync(OriginalPath(photo.Id), original, cancellationToken);
        await WriteFileAsync(ThumbnailPath(photo.Id), thumbnail, cancellationToken);
        await store.AddAsync(photo, cancellationToken);
    }

    public async Task<DronePhoto?> GetAsync(string id, CancellationToken cancellationToken) =>
        IsValidId(id) ? await store.GetAsync(id, cancellationToken) : null;

    private static async Task WriteFileAsync(string path, byte[] data, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, data, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }
}
