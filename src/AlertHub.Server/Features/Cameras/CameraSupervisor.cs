using System.Globalization;
using System.Net.Http.Headers;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Runs one worker per camera and keeps them running forever: ffmpeg per RTSP camera (snapshots, plus the
/// live relay while someone watches), one-shot ffmpeg snapshots of HLS cameras, HTTP polling for jpeg-poll,
/// a multipart reader for MJPEG. A failed worker restarts after a jittered, doubling delay that resets once
/// images flow again. Every tick it turns image freshness into statuses, records debounced transitions and
/// pushes them to staff.
/// </summary>
internal sealed partial class CameraSupervisor(
    CameraStore store,
    CameraRuntimes runtimes,
    CameraSnapshots snapshots,
    MediaEngine engine,
    ActiveAlertCoverage coverage,
    OutboundUrlPolicy urlPolicy,
    MediaGateway gateway,
    IHttpClientFactory httpClients,
    IStaffEvents staff,
    CameraStaffNotifier staffNotifier,
    HealthState health,
    IOptions<CamerasOptions> options,
    AlertHubTelemetry telemetry,
    TimeProvider time,
    ILogger<CameraSupervisor> logger) : BackgroundService
{
    public const string HttpClientName = "cameras";

    private readonly Dictionary<string, Worker> _workers = [];
    private int _dirty = 1;

    private CamerasOptions Options => options.Value;

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

        store.Changed += MarkDirty;
        var nextReconcile = DateTimeOffset.MinValue;
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

                    if (Interlocked.Exchange(ref _dirty, 0) == 1 || now >= nextReconcile)
                    {
                        nextReconcile = now + TimeSpan.FromSeconds(10);
                        await ReconcileAsync(stoppingToken);
                    }

                    StopIdleRelays(now);
                    await EvaluateHealthAsync(stoppingToken);
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
            store.Changed -= MarkDirty;
            await StopAllAsync();
        }
    }

    private void MarkDirty() => Interlocked.Exchange(ref _dirty, 1);

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var cameras = await store.ListAsync(cancellationToken);
        var ids = cameras.Select(c => c.Id).ToHashSet();
        foreach (var camera in cameras)
        {
            var runtime = runtimes.GetOrAdd(camera);
            var interval = TimeSpan.FromSeconds(coverage.Covers(camera.Lat, camera.Lon)
                ? Math.Min(camera.SnapshotIntervalSeconds, Options.AlertSnapshotIntervalSeconds)
                : camera.SnapshotIntervalSeconds);
            lock (runtime.Gate)
            {
                runtime.Camera = camera with { Status = runtime.Camera.Status, StatusSince = runtime.Camera.StatusSince };
                if (runtime.EffectiveInterval != interval)
                {
                    LogIntervalChanged(logger, camera.Id, interval.TotalSeconds);
                }

                runtime.EffectiveInterval = interval;
            }

            var wanted = WorkerWanted(camera);
            if (_workers.TryGetValue(camera.Id, out var existing)
                && (!wanted || existing.UpdatedAt != camera.UpdatedAt || existing.Interval != interval))
            {
                await StopWorkerAsync(camera.Id, existing);
                existing = null;
            }

            if (wanted && existing is null)
            {
                var stop = new CancellationTokenSource();
                _workers[camera.Id] = new Worker(Task.Run(() => RunWorkerAsync(runtime, stop.Token), CancellationToken.None), stop, camera.UpdatedAt, interval);
            }
        }

        foreach (var (id, worker) in _workers.Where(w => !ids.Contains(w.Key)).ToList())
        {
            await StopWorkerAsync(id, worker);
        }

        foreach (var runtime in runtimes.All.Where(r => !ids.Contains(r.Camera.Id)).ToList())
        {
            runtimes.Remove(runtime.Camera.Id, out _);
            TryDeleteDirectory(engine.CameraDirectory(runtime.Camera.Id));
            TryDeleteDirectory(engine.LiveDirectory(runtime.Camera.Id));
        }
    }

    private bool WorkerWanted(CameraRecord camera) => Options.Enabled && camera.Kind switch
    {
        CameraKinds.Rtsp or CameraKinds.Hls => engine.Available,
        _ => camera.Url.Length > 0, // a jpeg-poll camera without a URL only receives pushed stills
    };

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

    private async Task EvaluateHealthAsync(CancellationToken cancellationToken)
    {
        foreach (var runtime in runtimes.All)
        {
            HealthTransition? transition;
            string persisted;
            lock (runtime.Gate)
            {
                transition = runtime.Health.Evaluate(FreshnessThresholds.For(Options, runtime.EffectiveInterval));
                persisted = runtime.Camera.Status;
                if (transition is not null)
                {
                    runtime.Camera = runtime.Camera with { Status = transition.Status, StatusSince = transition.At };
                }
            }

            // After a restart the first observation repeats what was stored: not a change worth a timeline row.
            if (transition is null || (transition.Previous == CameraStatuses.Unknown && transition.Status == persisted))
            {
                continue;
            }

            var previous = transition.Previous == CameraStatuses.Unknown ? persisted : transition.Previous;
            await store.RecordStatusAsync(runtime.Camera.Id, transition.Status, previous, transition.At, transition.Reason, cancellationToken);
            await staff.CameraStatusAsync(new CameraStatusEvent(runtime.Camera.Id, transition.Status, previous, transition.At, transition.Reason), cancellationToken);
            staffNotifier.OnTransition(runtime.Camera, transition.Status, previous, transition.At, transition.Reason);
            LogStatus(logger, runtime.Camera.Id, previous, transition.Status, transition.Reason);
            telemetry.CameraStatusChanges.Add(1, new KeyValuePair<string, object?>("status", transition.Status));
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
                await (runtime.Camera.Kind switch
                {
                    CameraKinds.Rtsp => RunRtspAsync(runtime, credentials, run.Token),
                    CameraKinds.Hls => RunHlsSnapshotsAsync(runtime, credentials, run.Token),
                    CameraKinds.Mjpeg => RunMjpegAsync(runtime, credentials, run.Token),
                    _ => RunJpegPollAsync(runtime, credentials, run.Token),
                });
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

    /// <summary>
    /// One ffmpeg, one upstream connection. Snapshots always come from it; while someone watches it also
    /// writes the HLS relay. Switching modes restarts ffmpeg (a snapshot gap of about one connect, ~1–2 s)
    /// instead of running a second connection beside it: many cameras allow only a few RTSP sessions, and
    /// a copy-only branch costs almost nothing, but writing segments nobody reads for 50 cameras is disk
    /// churn for nothing.
    /// </summary>
    private async Task RunRtspAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        var camera = runtime.Camera;
        if (await CameraUrls.CheckResolvedAsync(urlPolicy, camera.Url, cancellationToken) is { } refused)
        {
            throw new InvalidOperationException($"refused by Security:OutboundUrls: {refused}");
        }

        bool live;
        TimeSpan interval;
        lock (runtime.Gate)
        {
            live = runtime.LiveWanted && camera.LiveEnabled;
            interval = runtime.EffectiveInterval;
        }

        var liveDir = engine.LiveDirectory(camera.Id);
        TryDeleteDirectory(liveDir);
        // ffmpeg talks to the relay on loopback only (and may speak nothing but RTSP over TCP): the camera
        // cannot walk it to another host with a redirect.
        await using var relay = RtspRelay.Start(camera.Url, urlPolicy);
        var args = new List<string>
        {
            "-hide_banner", "-nostdin", "-loglevel", "error", "-protocol_whitelist", "rtsp,tcp", "-rtsp_transport", "tcp", "-timeout", "5000000",
            "-fflags", "+genpts", "-threads", "1", "-i", CameraUrls.WithCredentials(relay.LocalUrl, credentials),
        };
        if (live)
        {
            Directory.CreateDirectory(liveDir);
            args.AddRange([
                "-map", "0:v:0", "-c", "copy", "-f", "hls", "-hls_time", Options.LiveSegmentSeconds.ToString(CultureInfo.InvariantCulture),
                "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist+temp_file",
                "-hls_segment_filename", Path.Combine(liveDir, "seg_%05d.ts"), Path.Combine(liveDir, "index.m3u8"),
            ]);
        }

        // ffmpeg (5.1) holds each selected frame back until the next one is selected (it needs the next
        // timestamp for the frame's duration), so selecting one frame per interval would deliver every image
        // one interval late (fps=1/N is no better). Select one per second and keep one per interval here.
        var every = Math.Min(1, interval.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        args.AddRange([
            "-map", "0:v:0", "-an", "-vf", $"select='isnan(prev_selected_t)+gte(t-prev_selected_t,{every})'", "-fps_mode", "vfr",
            "-q:v", "5", "-flush_packets", "1", "-f", "mpjpeg", "pipe:1",
        ]);
        try
        {
            await ReadFramesFromFfmpegAsync(runtime, args, credentials, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException && (relay.Refusal ?? relay.Failure) is not null)
        {
            throw new InvalidOperationException(relay.Refusal is { } refusal ? $"refused by Security:OutboundUrls: {refusal}" : $"camera unreachable: {relay.Failure}", e);
        }
    }

    private async Task ReadFramesFromFfmpegAsync(CameraRuntime runtime, List<string> args, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        var id = runtime.Camera.Id;
        using var child = FfmpegChild.Start(engine.FfmpegPath!, args, engine.MediaRoot, id, engine.PidFile(id));
        using var kill = cancellationToken.Register(child.Kill);
        var withRelay = args.Contains("hls");
        LogFfmpegStarted(logger, id, child.Id, withRelay);
        var reader = new MultipartJpegReader(child.Output, Options.MaxSnapshotBytes);
        var watchdog = TimeSpan.FromSeconds(Math.Max(20, runtime.EffectiveInterval.TotalSeconds * 3));
        DateTimeOffset? lastKept = null;
        while (true)
        {
            byte[]? frame;
            using (var frameTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                frameTimeout.CancelAfter(watchdog);
                try
                {
                    frame = await reader.ReadFrameAsync(frameTimeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no frame from ffmpeg for {watchdog.TotalSeconds:0} s; restarting it");
                }
                catch (IOException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
            }

            if (frame is null)
            {
                break;
            }

            // One image per interval (ffmpeg sends one per second, and at stream start frames without
            // timestamps slip through its select as a burst of near-copies that would look frozen).
            var now = time.GetUtcNow();
            if (lastKept is { } kept && now - kept < runtime.EffectiveInterval - TimeSpan.FromMilliseconds(500))
            {
                continue;
            }

            lastKept = now;
            await snapshots.AcceptAsync(id, frame, keepInHistory: false, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
        throw new InvalidOperationException($"ffmpeg exited with code {child.ExitCode}: {CameraUrls.Scrub(child.StderrTail, credentials)}");
    }

    /// <summary>
    /// A one-shot ffmpeg per snapshot, starting at the newest segment (without <c>-live_start_index -1</c> it
    /// starts three back). ffmpeg reads through the <see cref="MediaGateway"/> only: it is given a loopback
    /// URL, the gateway as its HTTP proxy, and no protocol beyond http over tcp (plus crypto for AES-128
    /// segments), so every playlist entry and redirect passes the outbound policy in the hub.
    /// </summary>
    private async Task RunHlsSnapshotsAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        var id = runtime.Camera.Id;
        while (true)
        {
            var started = time.GetUtcNow();
            if (await CameraUrls.CheckResolvedAsync(urlPolicy, runtime.Camera.Url, cancellationToken) is { } refused)
            {
                throw new InvalidOperationException($"refused by Security:OutboundUrls: {refused}");
            }

            using var session = await gateway.OpenAsync(runtime.Camera, credentials, cancellationToken);
            List<string> args =
            [
                "-hide_banner", "-nostdin", "-loglevel", "error", "-rw_timeout", "10000000",
                "-protocol_whitelist", "http,tcp,crypto", "-http_proxy", gateway.ProxyUrl,
                "-live_start_index", "-1", "-i", session.EntryUrl, "-map", "0:v:0", "-frames:v", "1", "-q:v", "5", "-f", "mjpeg", "pipe:1",
            ];
            byte[] jpeg;
            using (var child = FfmpegChild.Start(engine.FfmpegPath!, args, engine.MediaRoot, id, engine.PidFile(id)))
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(Options.FetchTimeout);
                using var kill = timeout.Token.Register(child.Kill);
                using var buffer = new MemoryStream();
                await child.Output.CopyToAsync(buffer, cancellationToken);
                await child.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
                cancellationToken.ThrowIfCancellationRequested();
                jpeg = buffer.ToArray();
                if (jpeg.Length == 0 || child.ExitCode != 0)
                {
                    // What the gateway saw says more than ffmpeg's "Server returned 403 Forbidden".
                    throw new InvalidOperationException(session.Refusal is { } refusal
                        ? $"refused by Security:OutboundUrls: {refusal}"
                        : timeout.IsCancellationRequested
                            ? $"no snapshot within {Options.FetchTimeout.TotalSeconds:0} s{(session.Failure is { } f ? $" ({f})" : "")}"
                            : $"ffmpeg exited with code {child.ExitCode}: {session.Failure ?? CameraUrls.Scrub(child.StderrTail, credentials)}");
                }
            }

            await snapshots.AcceptAsync(id, jpeg, keepInHistory: false, cancellationToken);
            await WaitForNextAsync(runtime, started, cancellationToken);
        }
    }

    private async Task RunJpegPollAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        while (true)
        {
            var started = time.GetUtcNow();
            using var request = new HttpRequestMessage(HttpMethod.Get, runtime.Camera.Url);
            if (credentials is not null)
            {
                request.Headers.Authorization = AuthenticationHeaderValue.Parse(CameraUrls.BasicAuthorization(credentials));
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.FetchTimeout);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException(CameraAnswered(response));
            }

            var jpeg = await BoundedRead.ReadAtMostAsync(response.Content, Options.MaxSnapshotBytes, timeout.Token)
                ?? throw new InvalidDataException($"image larger than {Options.MaxSnapshotBytes} bytes");
            if (JpegImages.Check(jpeg) is var problem && problem != JpegProblem.None)
            {
                throw new InvalidDataException($"camera sent an unusable image ({problem})");
            }

            await snapshots.AcceptAsync(runtime.Camera.Id, jpeg, keepInHistory: false, cancellationToken);
            await WaitForNextAsync(runtime, started, cancellationToken);
        }
    }

    /// <summary>Reads the camera's multipart stream and keeps one frame per snapshot interval.</summary>
    private async Task RunMjpegAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, runtime.Camera.Url);
        if (credentials is not null)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(CameraUrls.BasicAuthorization(credentials));
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(CameraAnswered(response));
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var reader = new MultipartJpegReader(stream, Options.MaxSnapshotBytes);
        DateTimeOffset? lastKept = null;
        while (true)
        {
            using var frameTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            frameTimeout.CancelAfter(Options.FetchTimeout);
            var frame = await reader.ReadFrameAsync(frameTimeout.Token) ?? throw new IOException("the MJPEG stream ended");
            var now = time.GetUtcNow();
            if (lastKept is { } kept && now - kept < runtime.EffectiveInterval)
            {
                continue;
            }

            if (JpegImages.Check(frame) != JpegProblem.None)
            {
                continue;
            }

            lastKept = now;
            await snapshots.AcceptAsync(runtime.Camera.Id, frame, keepInHistory: false, cancellationToken);
        }
    }

    /// <summary>Redirects are not followed for stills and MJPEG (the client has them off): say so, with where it pointed.</summary>
    private static string CameraAnswered(HttpResponseMessage response) => response.Headers.Location is { } location && (int)response.StatusCode is >= 300 and < 400
        ? $"camera answered {(int)response.StatusCode} redirecting to {GatewaySession.Describe(location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location))}; redirects are not followed, register the final URL"
        : $"camera answered {(int)response.StatusCode}";

    private Task WaitForNextAsync(CameraRuntime runtime, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var wait = runtime.EffectiveInterval - (time.GetUtcNow() - started);
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {CameraId} status {Previous} → {Status}: {Reason}")]
    private static partial void LogStatus(ILogger logger, string cameraId, string previous, string status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {CameraId} ({Kind}) worker stopped: {Error}")]
    private static partial void LogWorkerFailed(ILogger logger, string cameraId, string kind, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Camera {CameraId} ffmpeg started, pid {Pid}, live relay {Live}")]
    private static partial void LogFfmpegStarted(ILogger logger, string cameraId, int pid, bool live);
}
