using AlertHub.Core.Storage;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras.Sources;

/// <summary>
/// Still cameras (<c>jpeg-poll</c>): one GET per interval through the guarded client, the answer bounded and checked as a
/// JPEG. A camera without a URL only receives pushed stills, so nothing runs for it.
/// </summary>
internal sealed class StillPollCameraSource(
    IHttpClientFactory httpClients,
    CameraSnapshots snapshots,
    IOptions<CamerasOptions> options,
    TimeProvider time) : ICameraSource
{
    public string Kind => CameraKinds.JpegPoll;

    public bool CanRun(CameraRecord camera) => camera.Url.Length > 0;

    public async Task RunAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(CameraSupervisor.HttpClientName);
        while (true)
        {
            var started = time.GetUtcNow();
            using var request = CameraHttp.Get(runtime.Camera.Url, credentials);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.FetchTimeout);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException(CameraHttp.Answered(response));
            }

            var jpeg = await BoundedRead.ReadAtMostAsync(response.Content, options.Value.MaxSnapshotBytes, timeout.Token)
                ?? throw new InvalidDataException($"image larger than {options.Value.MaxSnapshotBytes} bytes");
            if (JpegImages.Check(jpeg) is var problem && problem != JpegProblem.None)
            {
                throw new InvalidDataException($"camera sent an unusable image ({problem})");
            }

            await snapshots.AcceptAsync(runtime.Camera.Id, jpeg, keepInHistory: false, cancellationToken);
            await runtime.WaitForNextAsync(started, time, cancellationToken);
        }
    }
}
