using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Cameras.Sources;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Keeps one worker per camera in line with the store and running forever: each worker runs the camera's
/// <see cref="ICameraSource"/> (its capture protocol), and a failed one restarts after a jittered, doubling delay
/// that resets once images flow again. Every tick it also stops live relays nobody watches and has
/// <see cref="CameraStatusReporter"/> turn image freshness into statuses.
/// </summary>
/// <remarks>
/// On a cluster each camera has one owner: the node holding lease <c>camera.{id}</c> (<see cref="IClusterLeases"/>; on
/// SQLite this node always holds it). Only the holder runs the camera's worker and judges its status, so a camera is polled
/// (or its ffmpeg run) once per cluster, not once per node. The holder renews every <see cref="CamerasOptions.LeaseRenewInterval"/>
/// and stops the worker at once when a renewal is refused, when it could not renew in time, and in any case when the lease
/// runs out (a timer, whatever this loop is doing), so it has stopped before another node can start; a clean stop releases
/// the leases so the others take over at their next try.
/// </remarks>
internal sealed partial class CameraSupervisor(
    ICameraStore store,
    CameraRegistry registry,
    CameraRuntimes runtimes,
    CameraSnapshots snapshots,
    MediaEngine engine,
    ActiveAlertCoverage coverage,
    IEnumerable<ICameraSource> sources,
    CameraStatusReporter statuses,
    HealthState health,
    IClusterLeases leases,
    LiveDemand liveDemand,
    IOptions<CamerasOptions> options,
    AlertHubTelemetry telemetry,
    TimeProvider time,
    ILogger<CameraSupervisor> logger) : BackgroundService
{
    public const string HttpClientName = "cameras";

    private readonly Dictionary<string, ICameraSource> _sources = sources.ToDictionary(s => s.Kind, StringComparer.Ordinal);
    private readonly Dictionary<string, Worker> _workers = [];

    /// <summary>The cameras this node holds, with when (this node's clock) each lease is surely still ours.</summary>
    private readonly Dictionary<string, DateTimeOffset> _held = [];

    /// <summary>The cameras of the last reconcile: whose leases are renewed or asked for between reconciles.</summary>
    private IReadOnlyList<string> _known = [];
    private int _dirty = 1;

    private CamerasOptions Options => options.Value;

    /// <summary>The lease that makes a node a camera's owner.</summary>
    public static string LeaseName(string cameraId) => $"camera.{cameraId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        if (!engine.Available)
        {
            health.SetDegraded("cameras", engine.Reason ?? "ffmpeg is not available");
            LogNoFfmpeg(logger, engine.Reason ?? "");
        }

        var orphans = engine.KillOrphans();
        if (orphans > 0)
        {
            LogOrphansKilled(logger, orphans, engine.MediaRoot);
        }

        registry.Changed += MarkDirty;
        using var remoteViewers = liveDemand.Listen();
        var nextReconcile = DateTimeOffset.MinValue;
        var nextLeaseRound = DateTimeOffset.MinValue;
        var nextAlertCheck = DateTimeOffset.MinValue;
        var nextPrune = time.GetUtcNow() + TimeSpan.FromMinutes(1);
        try
        {
            using var timer = new PeriodicTimer(Options.HealthCheckInterval, time);
            do
            {
                var now = time.GetUtcNow();
                try
                {
                    // Nothing to speed up without cameras; skip the alert query on hubs that have none.
                    if (now >= nextAlertCheck && runtimes.All.Any())
                    {
                        nextAlertCheck = now + Options.AlertCheckInterval;
                        await coverage.RefreshAsync(stoppingToken);
                        MarkDirty();
                    }

                    if (now >= nextLeaseRound)
                    {
                        nextLeaseRound = now + Options.LeaseRenewInterval;
                        if (await RenewLeasesAsync(_known, stoppingToken))
                        {
                            MarkDirty();
                        }
                    }

                    if (Interlocked.Exchange(ref _dirty, 0) == 1 || now >= nextReconcile)
                    {
                        nextReconcile = now + TimeSpan.FromSeconds(10);
                        await ReconcileAsync(stoppingToken);
                    }

                    StopIdleRelays(now);
                    await statuses.EvaluateAsync(stoppingToken);
                    if (now >= nextPrune)
                    {
                        nextPrune = now + TimeSpan.FromHours(1);
                        await snapshots.PruneAsync(stoppingToken);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogTickFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            registry.Changed -= MarkDirty;
            await StopAllAsync();
            await ReleaseAllAsync();
        }
    }

    private void MarkDirty() => Interlocked.Exchange(ref _dirty, 1);

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var cameras = await store.ListAsync(cancellationToken);
        var ids = cameras.Select(c => c.Id).ToHashSet();
        var known = _known.ToHashSet();
        // A camera new to this node is asked for now rather than at the next lease round (on one node: started at once).
        await RenewLeasesAsync([.. ids.Where(id => !known.Contains(id))], cancellationToken);
        _known = [.. ids];
        foreach (var camera in cameras)
        {
            var runtime = runtimes.GetOrAdd(camera);
            var interval = TimeSpan.FromSeconds(coverage.Covers(camera.Lat, camera.Lon)
                ? Math.Min(camera.SnapshotIntervalSeconds, Options.AlertSnapshotIntervalSeconds)
                : camera.SnapshotIntervalSeconds);
            var held = _held.ContainsKey(camera.Id);
            lock (runtime.Gate)
            {
                // The holder's own judgement is newer than the store's copy of it; any other node's is the store's.
                runtime.Camera = held ? camera with { Status = runtime.Camera.Status, StatusSince = runtime.Camera.StatusSince } : camera;
                runtime.Held = held;
                if (held && camera.LastImageAt is { } stored)
                {
                    // An image another node was given (a still pushed through the load balancer) is fresh data here too.
                    runtime.Health.ActivityObserved(stored);
                }

                if (runtime.EffectiveInterval != interval)
                {
                    LogIntervalChanged(logger, camera.Id, interval.TotalSeconds);
                }

                runtime.EffectiveInterval = interval;
            }

            var wanted = held && WorkerWanted(camera);
            if (_workers.TryGetValue(camera.Id, out var existing)
                && (!wanted || existing.UpdatedAt != camera.UpdatedAt || existing.Interval != interval || existing.Task.IsCompleted))
            {
                await StopWorkerAsync(camera.Id, existing);
                existing = null;
            }

            if (wanted && existing is null)
            {
                var stop = new CancellationTokenSource();
                LeaseRules.ArmDeadline(stop, _held[camera.Id], time);
                _workers[camera.Id] = new Worker(Task.Run(() => RunWorkerAsync(runtime, stop.Token), CancellationToken.None), stop, camera.UpdatedAt, interval);
            }
        }

        foreach (var (id, worker) in _workers.Where(w => !ids.Contains(w.Key)).ToList())
        {
            await StopWorkerAsync(id, worker);
        }

        foreach (var id in _held.Keys.Where(id => !ids.Contains(id)).ToList())
        {
            await GiveUpAsync(id, release: true);
        }

        foreach (var runtime in runtimes.All.Where(r => !ids.Contains(r.Camera.Id)).ToList())
        {
            runtimes.Remove(runtime.Camera.Id, out _);
            MediaEngine.TryDeleteDirectory(engine.CameraDirectory(runtime.Camera.Id));
            MediaEngine.TryDeleteDirectory(engine.LiveDirectory(runtime.Camera.Id));
        }
    }

    /// <summary>
    /// Takes or renews the lease of each camera in <paramref name="cameraIds"/>; stops at once the worker of each camera whose
    /// lease was lost. Returns true when this node took a camera (its worker should start).
    /// </summary>
    private async Task<bool> RenewLeasesAsync(IReadOnlyList<string> cameraIds, CancellationToken cancellationToken)
    {
        var gained = false;
        foreach (var id in cameraIds)
        {
            var asked = time.GetUtcNow();
            var wasHeld = _held.TryGetValue(id, out var validUntil);
            if (wasHeld && validUntil <= asked)
            {
                // This loop was too slow (the worker's deadline has stopped it already): the lease may be another node's now.
                LogLeaseLost(logger, id, "it ran out before it was renewed");
                await GiveUpAsync(id, release: false);
                wasHeld = false;
            }

            bool granted;
            try
            {
                // A renewal is bounded by the lease itself (an answer after it ran out is no use); a first ask by a few seconds.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(wasHeld ? LeaseRules.RenewalTimeout(validUntil, asked) : Options.LeaseRenewInterval);
                granted = await leases.TryAcquireAsync(LeaseName(id), Options.LeaseTimeToLive, timeout.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogLeaseFailed(logger, id, e.Message);
                if (wasHeld && LeaseRules.MustGiveUpAfterFailedRenewal(time.GetUtcNow(), Options.LeaseRenewInterval, validUntil))
                {
                    LogLeaseLost(logger, id, "it could not be renewed before it expired");
                    await GiveUpAsync(id, release: false);
                }

                continue;
            }

            if (!granted)
            {
                if (wasHeld)
                {
                    LogLeaseLost(logger, id, "another node holds it");
                    await GiveUpAsync(id, release: false);
                }

                continue;
            }

            validUntil = asked + Options.LeaseTimeToLive;
            _held[id] = validUntil;
            if (_workers.TryGetValue(id, out var worker))
            {
                LeaseRules.ArmDeadline(worker.Stop, validUntil, time);
            }

            if (!wasHeld)
            {
                gained = true;
                LogLeaseTaken(logger, id);
                if (runtimes.Find(id) is { } runtime)
                {
                    lock (runtime.Gate)
                    {
                        runtime.Health.Restart();
                        runtime.Held = true;
                    }
                }
            }
        }

        return gained;
    }

    /// <summary>Stops the camera's worker now and stops judging its status; with <paramref name="release"/> lets the lease go.</summary>
    private async Task GiveUpAsync(string id, bool release)
    {
        _held.Remove(id);
        if (runtimes.Find(id) is { } runtime)
        {
            lock (runtime.Gate)
            {
                runtime.Held = false;
            }
        }

        if (_workers.TryGetValue(id, out var worker))
        {
            await StopWorkerAsync(id, worker);
        }

        if (release)
        {
            await ReleaseAsync(id);
        }
    }

    private async Task ReleaseAllAsync()
    {
        foreach (var id in _held.Keys.ToList())
        {
            _held.Remove(id);
            await ReleaseAsync(id);
        }
    }

    private async Task ReleaseAsync(string id)
    {
        if (await LeaseRules.ReleaseAsync(leases, LeaseName(id), time) is { } error)
        {
            // It runs out by itself within the time-to-live.
            LogLeaseFailed(logger, id, error);
        }
    }

    private bool WorkerWanted(CameraRecord camera) => Options.Enabled && SourceOf(camera).CanRun(camera);

    /// <summary>The capture protocol of a camera's kind (still polling for a kind nothing else claims).</summary>
    private ICameraSource SourceOf(CameraRecord camera) =>
        _sources.TryGetValue(camera.Kind, out var source) ? source : _sources[CameraKinds.JpegPoll];

    private async Task StopWorkerAsync(string id, Worker worker)
    {
        _workers.Remove(id);
        await worker.Stop.CancelAsync();
        await Task.WhenAny(worker.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        worker.Stop.Dispose();
    }

    private async Task StopAllAsync()
    {
        foreach (var worker in _workers.Values)
        {
            await worker.Stop.CancelAsync();
        }

        // Each worker kills its ffmpeg (whole tree) on the way out.
        await Task.WhenAny(Task.WhenAll(_workers.Values.Select(w => w.Task)), Task.Delay(TimeSpan.FromSeconds(10)));
        _workers.Clear();
    }

    private void StopIdleRelays(DateTimeOffset now)
    {
        foreach (var runtime in runtimes.All)
        {
            bool stop;
            lock (runtime.Gate)
            {
                stop = runtime.LiveWanted && now - runtime.LastLiveRequest > Options.LiveIdleTimeout;
                if (stop)
                {
                    runtime.LiveWanted = false;
                }
            }

            if (stop)
            {
                LogRelayIdle(logger, runtime.Camera.Id);
                runtime.RequestRestart();
            }
            else if (runtime.LiveWanted)
            {
                // Segments count as fresh data: the relay proves the link is up between snapshots.
                var playlist = Path.Combine(engine.LiveDirectory(runtime.Camera.Id), "index.m3u8");
                if (File.Exists(playlist))
                {
                    var written = new DateTimeOffset(File.GetLastWriteTimeUtc(playlist), TimeSpan.Zero);
                    lock (runtime.Gate)
                    {
                        runtime.Health.ActivityObserved(written < now ? written : now);
                    }
                }
            }
        }
    }

    private async Task RunWorkerAsync(CameraRuntime runtime, CancellationToken stop)
    {
        var attempt = 0;
        var id = runtime.Camera.Id;
        while (!stop.IsCancellationRequested)
        {
            CancellationToken reconfigure;
            lock (runtime.Gate)
            {
                reconfigure = runtime.Reconfigure.Token;
            }

            using var run = CancellationTokenSource.CreateLinkedTokenSource(stop, reconfigure);
            var imagesBefore = runtime.ImageVersion;
            var credentials = await store.GetCredentialsAsync(id, stop);
            try
            {
                await SourceOf(runtime.Camera).RunAsync(runtime, credentials, run.Token);
            }
            catch (OperationCanceledException) when (run.IsCancellationRequested)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                attempt = 0;
                continue; // reconfigured (live demand changed): start again at once
            }
            catch (Exception e)
            {
                var error = CameraUrls.Scrub(e.Message, credentials);
                lock (runtime.Gate)
                {
                    runtime.Health.WorkerFailed(error);
                }

                LogWorkerFailed(logger, id, runtime.Camera.Kind, error);
                telemetry.CameraWorkerRestarts.Add(1, new KeyValuePair<string, object?>("kind", runtime.Camera.Kind));
            }

            if (runtime.ImageVersion != imagesBefore)
            {
                attempt = 0;
            }

            var delay = RestartDelay(attempt++);
            try
            {
                await Task.Delay(delay, time, run.Token);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                attempt = 0;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Doubling from RestartDelay up to MaxRestartDelay, then a random 50–100 % so many cameras behind one failed switch do not reconnect in lockstep.</summary>
    private TimeSpan RestartDelay(int attempt)
    {
        var doubled = Options.RestartDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 16));
        var capped = Math.Min(doubled, Options.MaxRestartDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    private sealed record Worker(Task Task, CancellationTokenSource Stop, DateTimeOffset UpdatedAt, TimeSpan Interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera media engine unavailable: {Reason}")]
    private static partial void LogNoFfmpeg(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killed {Count} ffmpeg processes a previous run left behind under {Root}")]
    private static partial void LogOrphansKilled(ILogger logger, int count, string root);

    [LoggerMessage(Level = LogLevel.Error, Message = "Camera supervisor tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {CameraId} snapshot interval now {Seconds} s")]
    private static partial void LogIntervalChanged(ILogger logger, string cameraId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {CameraId} live relay idle; back to snapshots only")]
    private static partial void LogRelayIdle(ILogger logger, string cameraId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {CameraId} taken by this node: its worker runs and its status is judged here")]
    private static partial void LogLeaseTaken(ILogger logger, string cameraId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {CameraId} lease lost ({Reason}); its worker stopped on this node")]
    private static partial void LogLeaseLost(ILogger logger, string cameraId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {CameraId} lease could not be asked for, renewed or released: {Error}")]
    private static partial void LogLeaseFailed(ILogger logger, string cameraId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {CameraId} ({Kind}) worker stopped: {Error}")]
    private static partial void LogWorkerFailed(ILogger logger, string cameraId, string kind, string error);

}
