using AlertHub.Core.Storage;
namespace AlertHub.Server.Features.Cameras.Sources;

/// <summary>
/// One capture protocol (RTSP, HLS, MJPEG, still polling): reads a camera's images and hands each to
/// <see cref="CameraSnapshots"/> until it is cancelled, and throws when the camera fails. The
/// <see cref="CameraSupervisor"/> picks the source by <see cref="Kind"/>, runs it, and restarts it.
/// </summary>
internal interface ICameraSource
{
    /// <summary>The <see cref="CameraKinds"/> value it captures.</summary>
    string Kind { get; }

    /// <summary>Whether a worker should run for this camera now (ffmpeg available, a URL to read).</summary>
    bool CanRun(CameraRecord camera);

    Task RunAsync(CameraRuntime runtime, CameraCredentials? credentials, CancellationToken cancellationToken);
}
