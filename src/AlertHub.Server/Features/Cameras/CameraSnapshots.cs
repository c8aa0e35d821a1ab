using AlertHub.Core.Storage;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Where every camera image lands, whatever produced it (ffmpeg, a poll, an MJPEG stream, an ingest POST):
/// written as the latest image (temp file + rename, so readers never see half a JPEG), fed to the health
/// tracker, kept in the history ring at the configured spacing, and announced to staff.
/// </summary>
internal sealed partial class CameraSnapshots(
    CameraRuntimes runtimes,
    ICameraStore store,
    MediaEngine engine,
    IStaffEvents staff,
    IOptions<CamerasOptions> options,
    AlertHubTelemetry telemetry,
    DiskSpaceMonitor disk,
    TimeProvider time,
    ILogger<CameraSnapshots> logger)
{
    public const string LatestFile = "latest.jpg";

    public string LatestPath(string cameraId) => Path.Combine(engine.CameraDirectory(cameraId), LatestFile);

    public string HistoryPath(string cameraId, string snapshotId) => Path.Combine(engine.CameraDirectory(cameraId), "history", snapshotId + ".jpg");

    public string HistoryThumbnailPath(string cameraId, string snapshotId) => Path.Combine(engine.CameraDirectory(cameraId), "history", snapshotId + ".thumb.jpg");

    /// <summary>Accepts an image. <paramref name="keepInHistory"/> forces a history entry (pushed stills are rare and each one counts).</summary>
    /// <returns>The history snapshot id when one was written.</returns>
    public async Task<string?> AcceptAsync(string cameraId, byte[] jpeg, bool keepInHistory, CancellationToken cancellationToken)
    {
        var runtime = runtimes.Find(cameraId);
        if (runtime is null)
        {
            return null;
        }

        var at = time.GetUtcNow();
        var dir = engine.CameraDirectory(cameraId);
        Directory.CreateDirectory(dir);
        await WriteAtomicallyAsync(Path.Combine(dir, LatestFile), jpeg, cancellationToken);

        bool writeHistory;
        bool persist;
        lock (runtime.Gate)
        {
            runtime.Health.ImageReceived(jpeg);
            runtime.ImageVersion++;
            runtime.LatestAt = at;
            // 10 % slack so a camera whose interval equals the history spacing does not skip every other image.
            // Low on disk: the periodic ring pauses (the latest image is overwritten in place, so it does not grow).
            writeHistory = keepInHistory || (!disk.IsLow && (runtime.LastHistoryAt is not { } last || at - last >= options.Value.HistoryInterval * 0.9));
            if (writeHistory)
            {
                runtime.LastHistoryAt = at;
            }

            persist = writeHistory || runtime.LastPersistedImageAt is not { } p || at - p >= TimeSpan.FromSeconds(30);
            if (persist)
            {
                runtime.LastPersistedImageAt = at;
            }
        }

        telemetry.CameraSnapshots.Add(1, new KeyValuePair<string, object?>("kind", runtime.Camera.Kind));
        var url = $"/api/cameras/{cameraId}/snapshot.jpg?v={at.ToUnixTimeMilliseconds()}";
        await staff.CameraSnapshotAsync(new CameraSnapshotEvent(cameraId, at, url), cancellationToken);

        string? snapshotId = null;
        if (writeHistory)
        {
            snapshotId = Guid.NewGuid().ToString("N");
            var path = HistoryPath(cameraId, snapshotId);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await WriteAtomicallyAsync(path, jpeg, cancellationToken);
            await store.AddSnapshotAsync(snapshotId, cameraId, at, jpeg.Length, runtime.Camera.Kind, cancellationToken);
        }

        if (persist)
        {
            await store.SetLastImageAsync(cameraId, at, cancellationToken);
        }

        return snapshotId;
    }

    /// <summary>The latest image's thumbnail, made on first request after each new image (cheaper than per image with 50+ cameras).</summary>
    public async Task<byte[]?> ThumbnailAsync(string cameraId, CancellationToken cancellationToken)
    {
        var runtime = runtimes.Find(cameraId);
        var path = LatestPath(cameraId);
        if (runtime is null || !File.Exists(path))
        {
            return null;
        }

        // Keyed by the file, not by this node's image count: in a cluster the camera's holder may be another node writing
        // the shared media folder, and this node's count never moves. Each new image is a new file (temp + rename).
        var written = File.GetLastWriteTimeUtc(path);
        lock (runtime.Gate)
        {
            if (runtime.Thumbnail is { } cached && cached.Written == written)
            {
                return cached.Jpeg;
            }
        }

        var thumb = MakeThumbnail(await File.ReadAllBytesAsync(path, cancellationToken));
        lock (runtime.Gate)
        {
            runtime.Thumbnail = (written, thumb);
        }

        return thumb;
    }

    public byte[] MakeThumbnail(byte[] jpeg) => JpegImages.Resize(jpeg, options.Value.ThumbnailWidth, options.Value.ThumbnailHeight, 75);

    /// <summary>Drops history older than the retention (pinned normal-day images stay).</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var removed = await store.PruneSnapshotsAsync(time.GetUtcNow() - options.Value.HistoryRetention, cancellationToken);
        foreach (var (id, cameraId) in removed)
        {
            TryDelete(HistoryPath(cameraId, id));
            TryDelete(HistoryThumbnailPath(cameraId, id));
        }

        if (removed.Count > 0)
        {
            LogPruned(logger, removed.Count);
        }

        return removed.Count;
    }

    private static async Task WriteAtomicallyAsync(string path, byte[] data, CancellationToken cancellationToken)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        await File.WriteAllBytesAsync(temp, data, cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} camera history snapshots past retention")]
    private static partial void LogPruned(ILogger logger, int count);
}
