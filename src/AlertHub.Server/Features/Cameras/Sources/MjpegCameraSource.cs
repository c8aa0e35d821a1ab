using AlertHub.Core.Storage;
using AlertHub.Server.Features.Media;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras.Sources;

/// <summary>MJPEG cameras: one long multipart GET through the guarded client, one frame kept per snapshot interval.</summary>
internal sealed class MjpegCameraSource(
    IHttpClientFactory httpClients,
    CameraSnapshots snapshots,
    IOptions<CamerasOptions> options,
    TimeProvider time) : ICameraSource
{
    public string Kind => CameraKinds.Mjpeg;

    public bool CanRun(CameraRecord camera) => camera.Url.Length > 0;

    /// <summary>Reads the camera's multipart stream and keeps one frame per snapshot interval.</summary>
    public async Task RunAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(CameraSupervisor.HttpClientName);
        using var request = CameraHttp.Get(runtime.Camera.Url, credentials);

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(CameraHttp.Answered(response));
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var reader = new MultipartJpegReader(stream, options.Value.MaxSnapshotBytes);
        DateTimeOffset? lastKept = null;
        while (true)
        {
            using var frameTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            frameTimeout.CancelAfter(options.Value.FetchTimeout);
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
}
