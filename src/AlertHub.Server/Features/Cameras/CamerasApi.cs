using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Cameras.Sources;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

internal static class CamerasApi
{
    public static IHostApplicationBuilder AddCameras(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<CamerasOptions>()
            .Bind(builder.Configuration.GetSection(CamerasOptions.Section))
            .Validate(o => o.DefaultSnapshotIntervalSeconds > 0 && o.AlertSnapshotIntervalSeconds > 0, "Cameras snapshot intervals must be positive.")
            .Validate(o => o.HealthCheckInterval > TimeSpan.Zero && o.RestartDelay > TimeSpan.Zero && o.MaxRestartDelay >= o.RestartDelay,
                "Cameras:HealthCheckInterval and RestartDelay must be positive and MaxRestartDelay at least RestartDelay.")
            .Validate(o => o.MaxSnapshotBytes > 0 && o.ThumbnailWidth > 0 && o.ThumbnailHeight > 0, "Cameras size limits must be positive.")
            .Validate(o => o.LeaseRenewInterval > TimeSpan.Zero && o.LeaseRenewInterval * 3 <= o.LeaseTimeToLive,
                "Cameras:LeaseRenewInterval must be positive and at most a third of Cameras:LeaseTimeToLive.")
            .ValidateOnStart();
        services.AddOutboundUrlPolicy(builder.Configuration);
        services.AddSingleton<CameraRegistry>();
        services.AddSingleton<Health.IStartupStep, CameraCredentialUpgrade>();
        services.AddSingleton<CameraRuntimes>();
        services.AddSingleton<MediaEngine>();
        services.AddSingleton<CameraSnapshots>();
        services.AddSingleton<ActiveAlertCoverage>();
        services.AddSingleton<HlsProxy>();
        services.AddSingleton<LiveDemand>();
        services.AddSingleton<MediaGateway>();
        services.AddSingleton<IAlertImageSource, CameraSnapshotImageSource>();
        services.AddSingleton<CameraStaffNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<CameraStaffNotifier>());
        services.AddSingleton<ICameraSource, RtspCameraSource>();
        services.AddSingleton<ICameraSource, HlsCameraSource>();
        services.AddSingleton<ICameraSource, MjpegCameraSource>();
        services.AddSingleton<ICameraSource, StillPollCameraSource>();
        services.AddSingleton<CameraStatusReporter>();
        services.AddHostedService<CameraSupervisor>();
        services.AddOutboundHttpClient(CameraSupervisor.HttpClientName, guarded: true);
        services.AddOutboundHttpClient(CameraStaffNotifier.HttpClientName, guarded: true);
        return builder;
    }

    public static RouteGroupBuilder MapCamerasApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/cameras").WithTags("Cameras").RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapGet("/", async (ICameraStore store, CameraRuntimes runtimes, MediaEngine engine, CancellationToken ct) =>
        {
            var cameras = await store.ListAsync(ct);
            var withCredentials = await store.IdsWithCredentialsAsync(ct);
            return TypedResults.Ok(new CameraListView(engine.View, cameras.Select(c => View(c, withCredentials.Contains(c.Id), runtimes)).ToList()));
        });

        group.MapGet("/{id}", async Task<Results<Ok<CameraView>, ProblemHttpResult>> (string id, ICameraStore store, CameraRuntimes runtimes, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } camera
                ? TypedResults.Ok(View(camera, await store.GetCredentialsAsync(id, ct) is not null, runtimes))
                : NoCamera(id));

        group.MapPost("/", async Task<Results<Created<CameraView>, ProblemHttpResult>> (CameraRequest request, CameraRegistry registry, CameraRuntimes runtimes, OutboundUrlPolicy policy,
            IOptions<CamerasOptions> options, TimeProvider time, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            var (camera, credentials) = Validate(request, Guid.NewGuid().ToString("N"), null, policy, options.Value, time);
            await registry.SaveAsync(camera, credentials, isNew: true, ct);
            runtimes.GetOrAdd(camera); // pushed stills may arrive before the supervisor's next pass
            await audit.WriteAsync(http.User.Actor(), "cameras.create", camera.Id, $"{camera.Name} ({camera.Kind})", ct);
            return TypedResults.Created($"/api/cameras/{camera.Id}", CameraView.From(camera, credentials is { Username.Length: > 0 }));
        }).RequireAuthorization(StaffRoles.Policies.Admin);

        group.MapPut("/{id}", async Task<Results<Ok<CameraView>, ProblemHttpResult>> (string id, CameraRequest request, ICameraStore store, CameraRegistry registry, CameraRuntimes runtimes,
            OutboundUrlPolicy policy, IOptions<CamerasOptions> options, TimeProvider time, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            var existing = await store.GetAsync(id, ct);
            if (existing is null)
            {
                return NoCamera(id);
            }

            var (camera, credentials) = Validate(request, id, existing, policy, options.Value, time);
            await registry.SaveAsync(camera, credentials, isNew: false, ct);
            await audit.WriteAsync(http.User.Actor(), "cameras.update", id,
                credentials is null ? camera.Name : $"{camera.Name} (credentials {(credentials.Username.Length > 0 ? "changed" : "removed")})", ct);
            var saved = (await store.GetAsync(id, ct))!;
            return TypedResults.Ok(View(saved, await store.GetCredentialsAsync(id, ct) is not null, runtimes));
        }).RequireAuthorization(StaffRoles.Policies.Admin);

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, CameraRegistry registry, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (!await registry.DeleteAsync(id, ct))
            {
                return NoCamera(id);
            }

            await audit.WriteAsync(http.User.Actor(), "cameras.delete", id, null, ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(StaffRoles.Policies.Admin);

        group.MapGet("/{id}/snapshot.jpg", async (string id, ICameraStore store, CameraRuntimes runtimes, CameraSnapshots snapshots, CancellationToken ct) =>
        {
            var path = snapshots.LatestPath(id);
            return await RuntimeAsync(id, store, runtimes, ct) is null ? NoCamera(id)
                : File.Exists(path) ? Jpeg(await File.ReadAllBytesAsync(path, ct))
                : Problems.NotFoundProblem(Problems.CameraNoSnapshot, $"Camera {id} has not sent an image yet.");
        });

        group.MapGet("/{id}/thumbnail.jpg", async (string id, ICameraStore store, CameraRuntimes runtimes, CameraSnapshots snapshots, CancellationToken ct) =>
            await RuntimeAsync(id, store, runtimes, ct) is null ? NoCamera(id)
            : await snapshots.ThumbnailAsync(id, ct) is { } thumb ? Jpeg(thumb)
            : Problems.NotFoundProblem(Problems.CameraNoSnapshot, $"Camera {id} has not sent an image yet."));

        group.MapGet("/{id}/snapshots", async Task<Results<Ok<List<SnapshotView>>, ProblemHttpResult>> (string id, DateTimeOffset? from, DateTimeOffset? to, int? limit,
            ICameraStore store, CameraRuntimes runtimes, CancellationToken ct) =>
        {
            if (runtimes.Find(id) is null && await store.GetAsync(id, ct) is null)
            {
                return NoCamera(id);
            }

            var list = await store.SnapshotsAsync(id, from, to, Math.Clamp(limit ?? 500, 1, 5000), ct);
            return TypedResults.Ok(list.Select(s => SnapshotViewOf(id, s.Id, s.At)).ToList());
        });

        group.MapGet("/{id}/snapshots/{file}", async (string id, string file, ICameraStore store, CameraSnapshots snapshots, CancellationToken ct) =>
        {
            var snapshotId = file.EndsWith(".jpg", StringComparison.Ordinal) ? file[..^4] : file;
            return await HistoryFileAsync(id, snapshotId, store, snapshots, thumbnail: false, ct);
        });

        group.MapGet("/{id}/snapshots/{snapshotId}/thumbnail.jpg", (string id, string snapshotId, ICameraStore store, CameraSnapshots snapshots, CancellationToken ct) =>
            HistoryFileAsync(id, snapshotId, store, snapshots, thumbnail: true, ct));

        // Not in the viewer group: a camera's ingest key is not a staff viewer.
        app.MapPost("/api/cameras/{id}/snapshots", async Task<IResult> (string id, HttpRequest request, CameraRuntimes runtimes, ICameraStore store, CameraSnapshots snapshots,
            IOptions<CamerasOptions> options, AuditLog audit, CancellationToken ct) =>
        {
            if (await RuntimeAsync(id, store, runtimes, ct) is null)
            {
                return NoCamera(id);
            }

            var max = options.Value.MaxSnapshotBytes;
            if (request.ContentLength > max)
            {
                return TooLarge(max);
            }

            if (request.ContentType is { } type && !type.StartsWith("image/jpeg", StringComparison.OrdinalIgnoreCase)
                && !type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                return Problems.Create(StatusCodes.Status415UnsupportedMediaType, Problems.CameraImageNotJpeg, "Send the image as image/jpeg.",
                    $"Content-Type '{type}' is not image/jpeg.");
            }

            var jpeg = await BoundedRead.ReadAtMostAsync(request.Body, max, ct);
            if (jpeg is null)
            {
                return TooLarge(max);
            }

            if (JpegProblemResult(JpegImages.Check(jpeg)) is { } problem)
            {
                return problem;
            }

            var snapshotId = (await snapshots.AcceptAsync(id, jpeg, keepInHistory: true, ct))!;
            var at = (await store.FindSnapshotAsync(snapshotId, ct))!.Value.At;
            await audit.WriteAsync(request.HttpContext.User.Actor(), "cameras.snapshot", id, snapshotId, ct);
            return TypedResults.Created($"/api/cameras/{id}/snapshots/{snapshotId}.jpg", SnapshotViewOf(id, snapshotId, at));
        }).WithTags("Cameras").RequireAuthorization(StaffRoles.Policies.Ingest).WithMetadata(new BodyLimit(long.MaxValue));

        group.MapPut("/{id}/normal-day", async Task<Results<Ok<CameraView>, ProblemHttpResult>> (string id, NormalDayRequest request, ICameraStore store,
            CameraRuntimes runtimes, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is null)
            {
                return NoCamera(id);
            }

            if (request.SnapshotId is not { Length: > 0 } snapshotId || await store.FindSnapshotAsync(snapshotId, ct) is not { } found || found.CameraId != id)
            {
                return Problems.NotFoundProblem(Problems.CameraSnapshotNotFound, $"Camera {id} has no history snapshot '{request.SnapshotId}'.");
            }

            await store.SetNormalDayAsync(id, snapshotId, ct);
            await audit.WriteAsync(http.User.Actor(), "cameras.normal_day", id, snapshotId, ct);
            var camera = (await store.GetAsync(id, ct))!;
            if (runtimes.Find(id) is { } runtime)
            {
                lock (runtime.Gate)
                {
                    runtime.Camera = runtime.Camera with { NormalDaySnapshotId = snapshotId };
                }
            }

            return TypedResults.Ok(View(camera, await store.GetCredentialsAsync(id, ct) is not null, runtimes));
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        group.MapGet("/{id}/normal-day.jpg", async (string id, ICameraStore store, CameraSnapshots snapshots, CancellationToken ct) =>
        {
            var camera = await store.GetAsync(id, ct);
            if (camera is null)
            {
                return NoCamera(id);
            }

            var path = camera.NormalDaySnapshotId is { } s ? snapshots.HistoryPath(id, s) : null;
            return path is not null && File.Exists(path)
                ? Jpeg(await File.ReadAllBytesAsync(path, ct))
                : Problems.NotFoundProblem(Problems.CameraNoNormalDay, $"Camera {id} has no normal-day image pinned.");
        });

        group.MapGet("/{id}/timeline", async Task<Results<Ok<IReadOnlyList<TimelineEntry>>, ProblemHttpResult>> (string id, int? limit, ICameraStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is null ? NoCamera(id) : TypedResults.Ok(await store.TimelineAsync(id, Math.Clamp(limit ?? 500, 1, 5000), ct)));

        return group;
    }

    /// <summary>The camera's runtime, created from the store if the supervisor has not seen the camera yet.</summary>
    private static async Task<CameraRuntime?> RuntimeAsync(string id, ICameraStore store, CameraRuntimes runtimes, CancellationToken ct) =>
        runtimes.Find(id) ?? (await store.GetAsync(id, ct) is { } camera ? runtimes.GetOrAdd(camera) : null);

    private static CameraView View(CameraRecord camera, bool hasCredentials, CameraRuntimes runtimes)
    {
        if (runtimes.Find(camera.Id) is not { } runtime)
        {
            return CameraView.From(camera, hasCredentials);
        }

        lock (runtime.Gate)
        {
            // Another node owns the camera (a cluster): its status and last image are the store's, which that node keeps.
            return runtime.Held
                ? CameraView.From(camera, hasCredentials, runtime.Health.Status, runtime.Camera.StatusSince, runtime.LatestAt ?? camera.LastImageAt)
                : CameraView.From(camera, hasCredentials);
        }
    }

    private static SnapshotView SnapshotViewOf(string cameraId, string snapshotId, DateTimeOffset at) =>
        new(snapshotId, at, $"/api/cameras/{cameraId}/snapshots/{snapshotId}.jpg", $"/api/cameras/{cameraId}/snapshots/{snapshotId}/thumbnail.jpg");

    private static async Task<IResult> HistoryFileAsync(string id, string snapshotId, ICameraStore store, CameraSnapshots snapshots, bool thumbnail, CancellationToken ct)
    {
        // The id is looked up in the store before any path is built from it.
        if (await store.FindSnapshotAsync(snapshotId, ct) is not { } found || found.CameraId != id)
        {
            return Problems.NotFoundProblem(Problems.CameraSnapshotNotFound, $"Camera {id} has no history snapshot '{snapshotId}'.");
        }

        var path = snapshots.HistoryPath(id, snapshotId);
        if (!File.Exists(path))
        {
            return Problems.NotFoundProblem(Problems.CameraSnapshotNotFound, $"Snapshot {snapshotId} has been pruned.");
        }

        if (!thumbnail)
        {
            return Jpeg(await File.ReadAllBytesAsync(path, ct), immutable: true);
        }

        var thumbPath = snapshots.HistoryThumbnailPath(id, snapshotId);
        if (!File.Exists(thumbPath))
        {
            var thumb = snapshots.MakeThumbnail(await File.ReadAllBytesAsync(path, ct));
            var temp = thumbPath + ".tmp";
            await File.WriteAllBytesAsync(temp, thumb, ct);
            File.Move(temp, thumbPath, overwrite: true);
            return Jpeg(thumb, immutable: true);
        }

        return Jpeg(await File.ReadAllBytesAsync(thumbPath, ct), immutable: true);
    }

    private static (CameraRecord Camera, CameraCredentials? Credentials) Validate(CameraRequest request, string id, CameraRecord? existing,
        OutboundUrlPolicy policy, CamerasOptions options, TimeProvider time)
    {
        if (request.Name?.Trim() is not { Length: > 0 and <= 200 } name)
        {
            throw new RequestValidationException(Problems.CameraInvalid, "name is required (at most 200 characters).");
        }

        if (request.Kind is not { } kind || !CameraKinds.All.Contains(kind))
        {
            throw new RequestValidationException(Problems.CameraKindInvalid, $"kind must be one of: {string.Join(", ", CameraKinds.All)}.");
        }

        var url = request.Url?.Trim() ?? "";
        if (url.Length == 0 && kind != CameraKinds.JpegPoll)
        {
            throw new RequestValidationException(Problems.CameraUrlInvalid, $"url is required for a {kind} camera (only a jpeg-poll camera may omit it and push stills instead).");
        }

        if (url.Length > 2000)
        {
            throw new RequestValidationException(Problems.CameraUrlInvalid, "url is longer than 2000 characters.");
        }

        if (url.Length > 0 && CameraUrls.Check(policy, kind, url, out var forbidden) is { } reason)
        {
            throw new RequestValidationException(forbidden ? Problems.CameraUrlForbidden : Problems.CameraUrlInvalid, $"url: {reason}");
        }

        if (request.Location is not { Lat: double lat and >= -90 and <= 90, Lon: double lon and >= -180 and <= 180 })
        {
            throw new RequestValidationException(Problems.CameraLocationInvalid, "location needs lat in [-90, 90] and lon in [-180, 180].");
        }

        if (request.DirectionDegrees is < 0 or >= 360 || request.FieldOfViewDegrees is <= 0 or > 360)
        {
            throw new RequestValidationException(Problems.CameraInvalid, "directionDegrees must be in [0, 360) and fieldOfViewDegrees in (0, 360].");
        }

        var interval = request.SnapshotIntervalSeconds ?? existing?.SnapshotIntervalSeconds ?? options.DefaultSnapshotIntervalSeconds;
        if (interval is < 1 or > 86_400)
        {
            throw new RequestValidationException(Problems.CameraInvalid, "snapshotIntervalSeconds must be 1–86400.");
        }

        if (request.River?.Length > 200 || request.District?.Length > 200)
        {
            throw new RequestValidationException(Problems.CameraInvalid, "river and district are at most 200 characters.");
        }

        CameraCredentials? credentials = null;
        if (request.Username is { } username)
        {
            if (username.Length > 200 || request.Password?.Length > 500 || username.Contains(':'))
            {
                throw new RequestValidationException(Problems.CameraInvalid, "username (at most 200 characters, no ':') and password (at most 500) are too long or malformed.");
            }

            if (username.Length > 0 && request.Password is null)
            {
                throw new RequestValidationException(Problems.CameraInvalid, "password is required with username (send username \"\" to remove credentials).");
            }

            credentials = new CameraCredentials(username, username.Length == 0 ? "" : request.Password!);
        }
        else if (request.Password is not null)
        {
            throw new RequestValidationException(Problems.CameraInvalid, "password needs a username.");
        }

        var camera = new CameraRecord(id, name, kind, url, lat, lon, request.River, request.District, request.DirectionDegrees, request.FieldOfViewDegrees,
            interval, request.LiveEnabled ?? existing?.LiveEnabled ?? kind is CameraKinds.Rtsp or CameraKinds.Hls,
            existing?.Status ?? CameraStatuses.Unknown, existing?.StatusSince, existing?.LastImageAt, existing?.NormalDaySnapshotId, time.GetUtcNow());
        return (camera, credentials);
    }

    private static ProblemHttpResult? JpegProblemResult(JpegProblem problem) => problem switch
    {
        JpegProblem.None => null,
        JpegProblem.NotJpeg => Problems.Create(StatusCodes.Status415UnsupportedMediaType, Problems.CameraImageNotJpeg, "The image is not a JPEG.",
            "The body does not start with a JPEG marker (a PNG renamed .jpg, text, or empty)."),
        JpegProblem.Truncated => Problems.BadRequest(Problems.CameraImageTruncated, "The JPEG ends early (a cut-off upload)."),
        _ => Problems.BadRequest(Problems.CameraImageUndecodable, "The JPEG cannot be decoded."),
    };

    private static ProblemHttpResult TooLarge(int max) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, Problems.CameraImageTooLarge, "The image is too large.", $"Snapshots may be at most {max} bytes (Cameras:MaxSnapshotBytes).");

    private static ProblemHttpResult NoCamera(string id) => Problems.NotFoundProblem(Problems.CameraNotFound, $"No camera {id}.");

    private static IResult Jpeg(byte[] data, bool immutable = false) => new JpegResult(data, immutable);

    /// <summary>Latest images change every few seconds: never cached; history files never change.</summary>
    private sealed class JpegResult(byte[] data, bool immutable) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "image/jpeg";
            httpContext.Response.Headers.CacheControl = immutable ? "private, max-age=86400, immutable" : "no-cache";
            httpContext.Response.ContentLength = data.Length;
            return httpContext.Response.Body.WriteAsync(data).AsTask();
        }
    }
}
