using AlertHub.Core.Storage;
using AlertHub.Server.Features.Media;

namespace AlertHub.Server.Features.Cameras;

/// <summary><c>camera-snapshot</c>: an alert's picture taken from a camera's history ring (id = snapshot id).</summary>
internal sealed class CameraSnapshotImageSource(ICameraStore store, CameraSnapshots snapshots) : IAlertImageSource
{
    public string Source => "camera-snapshot";

    public async Task<AlertImageOriginal?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.FindSnapshotAsync(id, cancellationToken) is not { } found)
        {
            return null;
        }

        var path = snapshots.HistoryPath(found.CameraId, id);
        if (!File.Exists(path))
        {
            return null;
        }

        var camera = await store.GetAsync(found.CameraId, cancellationToken);
        var jst = found.At.ToOffset(TimeSpan.FromHours(9));
        var caption = $"{camera?.Name ?? found.CameraId} {jst:yyyy-MM-dd HH:mm} JST";
        return new AlertImageOriginal(await File.ReadAllBytesAsync(path, cancellationToken), caption, found.At);
    }
}
