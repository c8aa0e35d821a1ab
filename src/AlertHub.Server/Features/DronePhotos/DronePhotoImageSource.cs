using System.Globalization;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Media;

namespace AlertHub.Server.Features.DronePhotos;

/// <summary>Lets an alert attach a drone photo: <c>"image": { "source": "drone-photo", "id": "…" }</c>.</summary>
internal sealed class DronePhotoImageSource(DronePhotoArchive photos) : IAlertImageSource
{
    public const string Name = "drone-photo";

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public string Source => Name;

    public async Task<AlertImageOriginal?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (await photos.GetAsync(id, cancellationToken) is not { } photo || !File.Exists(photos.OriginalPath(id)))
        {
            return null;
        }

        var jpeg = await File.ReadAllBytesAsync(photos.OriginalPath(id), cancellationToken);
        var takenAt = photo.Capture.TakenAt ?? photo.ReceivedAt;
        var caption = "ドローン撮影 " + takenAt.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " JST";
        return new AlertImageOriginal(jpeg, caption, takenAt);
    }
}
