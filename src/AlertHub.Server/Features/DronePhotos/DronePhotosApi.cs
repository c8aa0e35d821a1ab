using System.Security.Cryptography;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AlertHub.Server.Features.DronePhotos;

/// <summary><c>PUT /api/drone-photos/{id}/position</c>.</summary>
internal sealed record DronePhotoPosition(double? Lat, double? Lon);

/// <summary>GeoJSON FeatureCollection of drone photos.</summary>
internal sealed record DronePhotoCollection(IReadOnlyList<DronePhotoFeature> Features)
{
    public string Type => "FeatureCollection";
}

internal static partial class DronePhotosApi
{

    // Room for the multipart boundaries, part headers and the note around the photo itself.
    private const long MultipartAllowance = 64 * 1024;

    private static readonly HashSet<string> JpegContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "image/jpeg", "image/jpg", "image/pjpeg", "application/octet-stream",
    };

    public static IHostApplicationBuilder AddDronePhotos(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<DronePhotosOptions>(builder.Configuration.GetSection("DronePhotos"));
        builder.Services.AddSingleton<DronePhotoArchive>();
        builder.Services.AddSingleton<IAlertImageSource, DronePhotoImageSource>();
        return builder;
    }

    public static RouteGroupBuilder MapDronePhotosApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/drone-photos").WithTags("Drone photos");

        // The body limit is enforced here, with the feature's own code, instead of by the shared middleware.
        group.MapPost("/", UploadAsync).RequireAuthorization(StaffRoles.Policies.Ingest).WithMetadata(new BodyLimit(long.MaxValue));

        group.MapGet("/", async (IDronePhotoStore store, DateTimeOffset? since, int? limit, CancellationToken ct) =>
        {
            var photos = await store.ListAsync(since, Math.Clamp(limit ?? 1000, 1, 10_000), ct);
            return TypedResults.Ok(new DronePhotoCollection([.. photos.Select(DronePhotoFeatures.From)]));
        }).RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapGet("/{id}", async Task<Results<Ok<DronePhotoFeature>, ProblemHttpResult>> (string id, DronePhotoArchive photos, CancellationToken ct) =>
            await photos.GetAsync(id, ct) is { } photo ? TypedResults.Ok(DronePhotoFeatures.From(photo)) : NotFound(id))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        // The original keeps its EXIF (position, time, aircraft): staff only, never cached by shared caches.
        group.MapGet("/{id}.jpg", async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> (string id, DronePhotoArchive photos, HttpContext http,
            CancellationToken ct) => await photos.GetAsync(id, ct) is null ? NotFound(id) : PrivateFile(http, photos.OriginalPath(id)))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapGet("/{id}/thumbnail.jpg", async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> (string id, DronePhotoArchive photos,
            HttpContext http, CancellationToken ct) => await photos.GetAsync(id, ct) is null ? NotFound(id) : PrivateFile(http, photos.ThumbnailPath(id)))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapPut("/{id}/position", PlaceAsync).RequireAuthorization(StaffRoles.Policies.Issuer);
        return group;
    }

    private static async Task<IResult> UploadAsync(HttpContext http,
        IDronePhotoStore store, DronePhotoArchive photos, IOptions<DronePhotosOptions> options, AuditLog audit, IStaffEvents staff, TimeProvider time,
        DiskSpaceMonitor disk, ILoggerFactory loggers, CancellationToken ct)
    {
        var o = options.Value;
        var request = http.Request;
        if (disk.IsLow)
        {
            // The last free space is kept for alerts (a full disk would stop the next one being stored).
            return Problems.Create(507, Problems.StorageDiskLow, "The hub is low on disk space.",
                "Drone photos are not accepted until space is freed on the hub's data volume; alerts are still issued.");
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return Problems.Create(415, Problems.UnsupportedMediaType, "Unsupported media type.",
                "Send multipart/form-data with the JPEG in the field 'photo' (and an optional 'note').");
        }

        // Refuse an announced oversize body before reading a byte of it.
        if (request.ContentLength is long announced && announced > o.MaxPhotoBytes + MultipartAllowance)
        {
            return new AnswerWithConnectionClose(TooLarge(o.MaxPhotoBytes, $"The upload is {announced} bytes."));
        }

        // A chunked body has no length up front: stop reading once it passes the limit.
        var body = new LengthLimitedStream(request.Body, o.MaxPhotoBytes + MultipartAllowance);
        // Section sizes are enforced here (photo, note) and by the stream above (everything else), not by the reader.
        var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 8 * 1024, BodyLengthLimit = null };
        byte[]? photo = null;
        string? declaredType = null;
        string? note = null;
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name == "photo" && photo is null)
                {
                    declaredType = section.ContentType;
                    photo = await BoundedRead.ReadAtMostAsync(section.Body, o.MaxPhotoBytes, ct);
                    if (photo is null)
                    {
                        return new AnswerWithConnectionClose(TooLarge(o.MaxPhotoBytes, "The photo is larger than the limit."));
                    }
                }
                else if (name == "note")
                {
                    var bytes = await BoundedRead.ReadAtMostAsync(section.Body, o.MaxNoteLength * 4L, ct);
                    note = bytes is null ? null : System.Text.Encoding.UTF8.GetString(bytes).Trim();
                    if (bytes is null || note!.Length > o.MaxNoteLength)
                    {
                        return Problems.BadRequest(Problems.DronePhotoInvalid, $"note is limited to {o.MaxNoteLength} characters.");
                    }
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new AnswerWithConnectionClose(TooLarge(o.MaxPhotoBytes, "The upload is larger than the limit."));
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return Problems.BadRequest(Problems.DronePhotoInvalid, "The multipart body is malformed: " + e.Message);
        }

        if (photo is null)
        {
            return Problems.BadRequest(Problems.DronePhotoMissing, "The form has no file field 'photo'.");
        }

        var declared = declaredType is null ? null : MediaTypeHeaderValue.TryParse(declaredType, out var t) ? t.MediaType.Value : declaredType;
        if (declared is not null && !JpegContentTypes.Contains(declared))
        {
            return Problems.Create(415, Problems.DronePhotoNotJpeg, "The photo is not a JPEG.", $"The file was sent as {declared}; only image/jpeg is accepted.");
        }

        switch (JpegImages.Check(photo))
        {
            case JpegProblem.NotJpeg:
                return Problems.Create(415, Problems.DronePhotoNotJpeg, "The photo is not a JPEG.",
                    $"The file does not start with a JPEG marker ({Describe(photo)}), whatever its name or declared type.");
            case JpegProblem.Truncated:
                return Problems.BadRequest(Problems.DronePhotoTruncated, "The JPEG ends early (the upload was cut off); send the whole file again.");
            case JpegProblem.Undecodable:
                return Problems.BadRequest(Problems.DronePhotoUndecodable, "The file has JPEG markers but its picture cannot be decoded.");
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(photo));
        var log = loggers.CreateLogger(typeof(DronePhotosApi).FullName!);
        if (await store.FindBySha256Async(sha, ct) is { } existing)
        {
            // A retried upload (lost response, flaky LTE at the site) is the same photo, not a second one.
            return TypedResults.Ok(DronePhotoFeatures.From(existing));
        }

        var metadata = DronePhotoMetadata.Read(photo);
        var (width, height) = JpegImages.Dimensions(photo) ?? (0, 0);
        var thumbnail = JpegImages.Resize(photo, o.ThumbnailMaxPixels, o.ThumbnailMaxPixels);
        var stored = new DronePhoto(Guid.NewGuid().ToString("N"), time.GetUtcNow(), http.User.Actor(), sha, photo.Length, width, height, metadata.Capture,
            metadata.Latitude, metadata.Longitude, metadata.HasPosition ? "exif" : null, string.IsNullOrEmpty(note) ? null : note);
        await photos.AddAsync(stored, photo, thumbnail, ct);
        await audit.WriteAsync(stored.UploadedBy, "drone_photos.upload", stored.Id,
            metadata.HasPosition ? $"{stored.Latitude:F6},{stored.Longitude:F6}" : "no GPS: needs manual placement", ct);
        LogStored(log, stored.Id, photo.Length, metadata.HasPosition, metadata.TakenAtZone);
        var feature = DronePhotoFeatures.From(stored);
        await staff.DronePhotoAsync(feature, ct);
        return TypedResults.Created($"/api/drone-photos/{stored.Id}", feature);
    }

    private static async Task<Results<Ok<DronePhotoFeature>, ProblemHttpResult>> PlaceAsync(string id, DronePhotoPosition position, IDronePhotoStore store,
        IStoreTransactions transactions, AuditLog audit, IStaffEvents staff, HttpContext http, CancellationToken ct)
    {
        if (position.Lat is not double lat || position.Lon is not double lon || !DronePhotoMetadata.IsValidPosition(lat, lon))
        {
            return Problems.BadRequest(Problems.DronePhotoPositionInvalid, "Send { \"lat\": -90…90, \"lon\": -180…180 }.");
        }

        if (!DronePhotoArchive.IsValidId(id))
        {
            return NotFound(id);
        }

        // The change and its audit row commit together.
        await using (var tx = await transactions.BeginAsync(ct))
        {
            if (!await store.SetPositionAsync(id, lat, lon, tx, ct))
            {
                return NotFound(id);
            }

            await audit.WriteAsync(http.User.Actor(), "drone_photos.position", id, $"{lat:F6},{lon:F6} (manual)", ct, tx);
            await tx.CommitAsync(ct);
        }

        var feature = DronePhotoFeatures.From((await store.GetAsync(id, ct))!);
        await staff.DronePhotoAsync(feature, ct);
        return TypedResults.Ok(feature);
    }

    private static string Describe(byte[] data) =>
        data.Length >= 8 && data.AsSpan(0, 8).SequenceEqual((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? "it is a PNG"
        : data.Length == 0 ? "it is empty"
        : $"it starts with {Convert.ToHexString(data.AsSpan(0, Math.Min(4, data.Length)))}";

    private static PhysicalFileHttpResult PrivateFile(HttpContext http, string path)
    {
        http.Response.Headers.CacheControl = "private, max-age=300";
        return TypedResults.PhysicalFile(path, "image/jpeg");
    }

    /// <summary>
    /// Answers with <c>Connection: close</c>, so the connection is not kept for another request. A client that sent
    /// <c>Expect: 100-continue</c> never sends the body at all; any other client's unread remainder is discarded by
    /// the server, never buffered.
    /// </summary>
    private sealed class AnswerWithConnectionClose(IResult answer) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Connection = "close";
            return answer.ExecuteAsync(httpContext);
        }
    }

    private static ProblemHttpResult TooLarge(long max, string detail) =>
        Problems.Create(413, Problems.DronePhotoTooLarge, "The photo is too large.", $"{detail} The limit is {max} bytes (DronePhotos:MaxPhotoBytes).");

    private static ProblemHttpResult NotFound(string id) => Problems.NotFoundProblem(Problems.DronePhotoNotFound, $"No drone photo {id}.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Drone photo {PhotoId} stored ({Bytes} bytes, GPS: {HasPosition}, time zone: {Zone})")]
    private static partial void LogStored(ILogger logger, string photoId, int bytes, bool hasPosition, TakenAtZone zone);
}
