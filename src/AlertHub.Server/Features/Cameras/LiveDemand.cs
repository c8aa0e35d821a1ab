using System.Collections.Concurrent;
using AlertHub.Core.Cluster;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Viewers' demand for a camera's on-demand live relay. The relay runs in the camera's worker, which runs only on the node
/// holding the camera (<see cref="CameraSupervisor"/>); a viewer may be on any node. A request on this node marks the demand
/// here, and on a cluster a node that does not hold the camera also tells the others (<see cref="ClusterTopics.CameraLive"/>)
/// so the holder starts the relay and keeps it while someone watches. The relay's files are then read from the shared media
/// folder (docs/cluster.md). On one node nothing is published.
/// </summary>
internal sealed class LiveDemand
{
    private readonly CameraRuntimes _runtimes;
    private readonly IClusterEvents _cluster;
    private readonly IOptions<CamerasOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>When this node last told the holder of each camera that someone watches.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _told = new(StringComparer.Ordinal);

    public LiveDemand(CameraRuntimes runtimes, IClusterEvents cluster, IOptions<CamerasOptions> options, TimeProvider time)
    {
        _runtimes = runtimes;
        _cluster = cluster;
        _options = options;
        _time = time;
    }

    /// <summary>Hears other nodes' viewers until disposed (the camera supervisor listens while it runs).</summary>
    public IDisposable Listen() => _cluster.Subscribe(ClusterTopics.CameraLive, OnClusterEvent);

    /// <summary>A viewer fetched the camera's playlist or a segment on this node.</summary>
    public async Task WantAsync(CameraRuntime runtime, CancellationToken cancellationToken)
    {
        var started = Mark(runtime);
        bool held;
        lock (runtime.Gate)
        {
            held = runtime.Held;
        }

        if (held || !_cluster.SpansNodes)
        {
            return;
        }

        // Often enough that the holder's idle timer never runs out while someone watches here; not once per segment.
        var id = runtime.Camera.Id;
        var now = _time.GetUtcNow();
        var every = _options.Value.LiveIdleTimeout / 4;
        if (!started && _told.TryGetValue(id, out var last) && now - last < every)
        {
            return;
        }

        _told[id] = now;
        await _cluster.PublishAsync(ClusterTopics.CameraLive, id, cancellationToken);
    }

    /// <returns>True when the relay was not wanted here before (the worker restarts with it).</returns>
    private bool Mark(CameraRuntime runtime)
    {
        bool start;
        lock (runtime.Gate)
        {
            runtime.LastLiveRequest = _time.GetUtcNow();
            start = !runtime.LiveWanted;
            runtime.LiveWanted = true;
        }

        if (start)
        {
            runtime.RequestRestart();
        }

        return start;
    }

    private void OnClusterEvent(ClusterEvent e)
    {
        // Only the holder acts; a resync asks for nothing (a viewer still watching asks again within a quarter of the idle time).
        if (e.FromThisNode || e.IsResync || _runtimes.Find(e.Payload) is not { } runtime)
        {
            return;
        }

        lock (runtime.Gate)
        {
            if (!runtime.Held)
            {
                return;
            }
        }

        Mark(runtime);
    }
}
