using System.Globalization;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Security;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras.Sources;

/// <summary>RTSP cameras: one ffmpeg behind the loopback <see cref="RtspRelay"/>, snapshots always, the HLS live relay while someone watches.</summary>
internal sealed partial class RtspCameraSource(
    MediaEngine engine,
    OutboundUrlPolicy urlPolicy,
    CameraSnapshots snapshots,
    IOptions<CamerasOptions> options,
    TimeProvider time,
    ILogger<RtspCameraSource> logger) : ICameraSource
{
    public string Kind => CameraKinds.Rtsp;

    public bool CanRun(CameraRecord camera) => engine.Available;

    /// <summary>
    /// One ffmpeg, one upstream connection. Snapshots always come from it; while someone watches it also
    /// writes the HLS relay. Switching modes restarts ffmpeg (a snapshot gap of about one connect, ~1–2 s)
    /// instead of running a second connection beside it: many cameras allow only a few RTSP sessions, and
    /// a copy-only branch costs almost nothing, but writing segments nobody reads for 50 cameras is disk
    /// churn for nothing.
    /// </summary>
    public async Task RunAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
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
        MediaEngine.TryDeleteDirectory(liveDir);
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
                "-map", "0:v:0", "-c", "copy", "-f", "hls", "-hls_time", options.Value.LiveSegmentSeconds.ToString(CultureInfo.InvariantCulture),
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
        using var child = FfmpegChild.Start(engine.FfmpegPath!, args, engine.MediaRoot, engine.NodeName, id, engine.PidFile(id));
        using var kill = cancellationToken.Register(child.Kill);
        var withRelay = args.Contains("hls");
        LogFfmpegStarted(logger, id, child.Id, withRelay);
        var reader = new MultipartJpegReader(child.Output, options.Value.MaxSnapshotBytes);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Camera {CameraId} ffmpeg started, pid {Pid}, live relay {Live}")]
    private static partial void LogFfmpegStarted(ILogger logger, string cameraId, int pid, bool live);
}
