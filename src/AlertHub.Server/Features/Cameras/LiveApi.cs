using System.Text.RegularExpressions;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// <c>/live/{id}/…</c>: the RTSP relay's playlist and segments from disk, or an HLS camera's stream proxied
/// through the hub (browsers cannot read a foreign HLS origin without CORS, and viewers should not reach
/// cameras directly). File names are matched against a fixed pattern before any path is built. Any node answers: the relay
/// runs on the camera's holder (<see cref="LiveDemand"/>) and writes its files to the media folder all nodes share.
/// </summary>
internal static partial class LiveApi
{
    public const string PlaylistType = "application/vnd.apple.mpegurl";

    public static RouteGroupBuilder MapLiveApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/live").WithTags("Cameras").RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapGet("/{id}/u/{token}", async (string id, string token, HttpContext http, ICameraStore store, HlsProxy proxy, CancellationToken ct) =>
        {
            var camera = await store.GetAsync(id, ct);
            if (camera is null || camera.Kind != CameraKinds.Hls || !camera.LiveEnabled)
            {
                return LiveUnavailable(id);
            }

            await proxy.ForwardAsync(camera, token, http, ct);
            return Results.Empty;
        });

        group.MapGet("/{id}/{file}", async (string id, string file, HttpContext http, ICameraStore store, CameraRuntimes runtimes, LiveDemand demand, MediaEngine engine,
            HlsProxy proxy, IOptions<CamerasOptions> options, TimeProvider time, CancellationToken ct) =>
        {
            var camera = await store.GetAsync(id, ct);
            if (camera is null || !camera.LiveEnabled || camera.Kind is not (CameraKinds.Rtsp or CameraKinds.Hls))
            {
                return LiveUnavailable(id);
            }

            if (camera.Kind == CameraKinds.Hls)
            {
                if (file != "index.m3u8")
                {
                    return LiveUnavailable(id);
                }

                await proxy.ForwardAsync(camera, null, http, ct);
                return Results.Empty;
            }

            if (!engine.Available)
            {
                return Problems.Create(StatusCodes.Status503ServiceUnavailable, Problems.CameraMediaEngineUnavailable, "Live video is unavailable.", engine.Reason);
            }

            if (!SegmentName().IsMatch(file) && file != "index.m3u8")
            {
                return Problems.NotFoundProblem(Problems.NotFound, $"No live file '{file}'.");
            }

            // The relay runs on the node that holds the camera; another node's request reaches it through LiveDemand.
            await demand.WantAsync(runtimes.GetOrAdd(camera), ct);

            var path = Path.Combine(engine.LiveDirectory(id), file);
            if (file == "index.m3u8")
            {
                // A starting relay needs a connect plus one segment before the playlist exists.
                var deadline = time.GetUtcNow() + options.Value.LiveStartTimeout;
                while (!File.Exists(path) && time.GetUtcNow() < deadline)
                {
                    await Task.Delay(200, ct);
                }

                if (!File.Exists(path))
                {
                    http.Response.Headers.RetryAfter = "2";
                    return Problems.Create(StatusCodes.Status503ServiceUnavailable, Problems.CameraLiveStarting, "The live relay is starting.",
                        "No segment has been written yet; try again in a few seconds.");
                }

                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(await File.ReadAllBytesAsync(path, ct), PlaylistType);
            }

            return File.Exists(path)
                ? Results.File(path, ContentTypeOf(file))
                : Problems.NotFoundProblem(Problems.NotFound, $"Segment '{file}' is no longer in the live window.");
        });

        return group;
    }

    public static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".m3u8" => PlaylistType,
        ".ts" => "video/mp2t",
        ".m4s" => "video/iso.segment",
        ".mp4" => "video/mp4",
        ".aac" => "audio/aac",
        ".vtt" => "text/vtt",
        _ => "application/octet-stream",
    };

    private static ProblemHttpResult LiveUnavailable(string id) =>
        Problems.NotFoundProblem(Problems.CameraLiveUnavailable, $"Camera {id} does not exist, has live viewing off, or is not a video camera.");

    [GeneratedRegex(@"^seg_\d{1,9}\.ts$")]
    private static partial Regex SegmentName();
}
