using AlertHub.Core.Storage;
using AlertHub.Server.Features.Security;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras.Sources;

/// <summary>HLS cameras: a one-shot ffmpeg per snapshot, reading through the <see cref="MediaGateway"/> only.</summary>
internal sealed class HlsCameraSource(
    MediaEngine engine,
    OutboundUrlPolicy urlPolicy,
    MediaGateway gateway,
    CameraSnapshots snapshots,
    IOptions<CamerasOptions> options,
    TimeProvider time) : ICameraSource
{
    public string Kind => CameraKinds.Hls;

    public bool CanRun(CameraRecord camera) => engine.Available;

    /// <summary>
    /// A one-shot ffmpeg per snapshot, starting at the newest segment (without <c>-live_start_index -1</c> it
    /// starts three back). ffmpeg reads through the <see cref="MediaGateway"/> only: it is given a loopback
    /// URL, the gateway as its HTTP proxy, and no protocol beyond http over tcp (plus crypto for AES-128
    /// segments), so every playlist entry and redirect passes the outbound policy in the hub.
    /// </summary>
    public async Task RunAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
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
            using (var child = FfmpegChild.Start(engine.FfmpegPath!, args, engine.MediaRoot, engine.NodeName, id, engine.PidFile(id)))
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.Value.FetchTimeout);
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
                            ? $"no snapshot within {options.Value.FetchTimeout.TotalSeconds:0} s{(session.Failure is { } f ? $" ({f})" : "")}"
                            : $"ffmpeg exited with code {child.ExitCode}: {session.Failure ?? CameraUrls.Scrub(child.StderrTail, credentials)}");
                }
            }

            await snapshots.AcceptAsync(id, jpeg, keepInHistory: false, cancellationToken);
            await runtime.WaitForNextAsync(started, time, cancellationToken);
        }
    }
}
