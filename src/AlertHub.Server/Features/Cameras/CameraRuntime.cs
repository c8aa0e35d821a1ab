using System.Collections.Concurrent;
using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Cameras;

/// <summary>What the hub knows about one camera while it runs: health, latest image, live relay demand.</summary>
internal sealed class CameraRuntime(CameraRecord camera, CameraHealthTracker health)
{
    public object Gate { get; } = new();

    public CameraRecord Camera { get; set; } = camera;

    public CameraHealthTracker Health { get; } = health;

    /// <summary>Snapshot interval in force (shorter while an alert covers the camera).</summary>
    public TimeSpan EffectiveInterval { get; set; } = TimeSpan.FromSeconds(camera.SnapshotIntervalSeconds);

    /// <summary>Bumped on every new latest image; thumbnails are cached per version.</summary>
    public long ImageVersion { get; set; }

    public DateTimeOffset? LatestAt { get; set; }

    public DateTimeOffset? LastHistoryAt { get; set; }

    public DateTimeOffset? LastPersistedImageAt { get; set; }

    /// <summary>The latest image's thumbnail, keyed by the image file's write time (on a shared media folder another node writes it).</summary>
    public (DateTime Written, byte[] Jpeg)? Thumbnail { get; set; }

    /// <summary>
    /// This node holds the camera's lease (<c>camera.{id}</c>): its worker runs here and this node judges and records its
    /// status. False on the other nodes of a cluster, which answer from the store instead. Set by the supervisor only.
    /// </summary>
    public bool Held { get; set; }

    /// <summary>Someone watches: the RTSP worker runs the relay branch.</summary>
    public bool LiveWanted { get; set; }

    public DateTimeOffset LastLiveRequest { get; set; }

    /// <summary>Cancelled when the worker must restart with other settings (live demand, interval).</summary>
    public CancellationTokenSource Reconfigure { get; set; } = new();

    /// <summary>Waits out the rest of the snapshot interval that began at <paramref name="started"/>.</summary>
    public Task WaitForNextAsync(DateTimeOffset started, TimeProvider time, CancellationToken cancellationToken)
    {
        var wait = EffectiveInterval - (time.GetUtcNow() - started);
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }

    public void RequestRestart()
    {
        CancellationTokenSource old;
        lock (Gate)
        {
            old = Reconfigure;
            Reconfigure = new CancellationTokenSource();
        }

        old.Cancel();
        old.Dispose();
    }
}

/// <summary>The runtimes of all registered cameras, shared by the supervisor, the snapshot sink and the API.</summary>
internal sealed class CameraRuntimes(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, CameraRuntime> _byId = new();

    public CameraRuntime? Find(string id) => _byId.TryGetValue(id, out var r) ? r : null;

    public IEnumerable<CameraRuntime> All => _byId.Values;

    public CameraRuntime GetOrAdd(CameraRecord camera) => _byId.GetOrAdd(camera.Id, _ => new CameraRuntime(camera, new CameraHealthTracker(time)));

    public bool Remove(string id, out CameraRuntime? runtime) => _byId.TryRemove(id, out runtime);
}
