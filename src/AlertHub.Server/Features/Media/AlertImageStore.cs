using System.Text.Json.Serialization;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Media;

/// <summary><c>"image": { "source": "drone-photo", "id": "…" }</c> on an alert request.</summary>
internal sealed record AlertImageRequest(string? Source, string? Id);

/// <summary>
/// The public picture of one alert version, as stored in the alert document: absolute URLs of the full copy
/// (≤ 1280 px) and the preview (≤ 400 px), both re-encoded without any metadata.
/// </summary>
internal sealed record AlertImage(
    string Id,
    string Source,
    string SourceId,
    string Url,
    string SmallUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Caption,
    int Width,
    int Height)
{
    /// <summary>
    /// Whether a channel that fetches the picture itself (LINE image messages, FCM notification images on iOS)
    /// can use the URL: LINE requires HTTPS and at most 2000 characters; APNs blocks plain HTTP. Over plain
    /// HTTP those channels carry a link instead.
    /// </summary>
    public static bool IsFetchableByProviders(string url) =>
        url.Length <= 2000 && url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Copies a picture into the alert-image store when an alert is issued: the source (camera snapshot, drone
/// photo) may be deleted or rotated out later, while the alert must keep showing what residents were sent.
/// Files live under <c>{DataDirectory}/alert-images/</c> and are served anonymously at
/// <c>/media/alert-images/{id}.jpg</c> and <c>{id}-small.jpg</c>; their record (source, size, who) is kept by the
/// <see cref="IAlertImageStore"/>, written after the files so that a record always has its files.
/// </summary>
internal sealed partial class AlertImageStore(
    IAlertImageStore records,
    StoragePaths paths,
    IEnumerable<IAlertImageSource> sources,
    IOptions<AlertImagesOptions> options,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ILogger<AlertImageStore> logger)
{
    public const string PathPrefix = "/media/alert-images/";

    private readonly string _directory = Path.Combine(paths.DataDirectory, "alert-images");
    private readonly Dictionary<string, IAlertImageSource> _sources = sources.ToDictionary(s => s.Source, StringComparer.Ordinal);

    public IReadOnlyCollection<string> SourceNames => _sources.Keys;

    /// <summary>
    /// Resolves and copies the picture, or throws a <see cref="RequestValidationException"/> with a stable code
    /// (unknown source → 400, no such image → 422) before anything of the alert is stored.
    /// </summary>
    public async Task<AlertImage> CreateAsync(AlertImageRequest request, string actor, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Source) || string.IsNullOrWhiteSpace(request.Id) || request.Id.Length > 200)
        {
            throw new RequestValidationException(Problems.AlertImageInvalid,
                "image needs a source and an id, e.g. { \"source\": \"drone-photo\", \"id\": \"…\" }.");
        }

        if (!_sources.TryGetValue(request.Source, out var source))
        {
            throw new RequestValidationException(Problems.AlertImageSourceUnknown,
                $"image.source '{request.Source}' is not known. Known: {string.Join(", ", _sources.Keys.Order(StringComparer.Ordinal))}.");
        }

        var original = await source.GetAsync(request.Id, cancellationToken)
            ?? throw new RequestValidationException(Problems.AlertImageNotFound, $"There is no {request.Source} '{request.Id}'.") { Status = 422 };
        if (JpegImages.Check(original.Jpeg) != JpegProblem.None)
        {
            throw new RequestValidationException(Problems.AlertImageInvalid, $"{request.Source} '{request.Id}' is not a usable JPEG.") { Status = 422 };
        }

        var o = options.Value;
        var full = Fit(original.Jpeg, o.MaxPixels, o.MaxBytes, o.Quality);
        // From the full copy, not the original: decoding a 1280 px JPEG costs a fraction of a 12 MP one.
        var small = Fit(full, o.SmallMaxPixels, o.SmallMaxBytes, o.Quality);
        var (width, height) = JpegImages.Dimensions(full) ?? (0, 0);
        var id = Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(_directory);
        await WriteFileAsync(Path.Combine(_directory, id + ".jpg"), full, cancellationToken);
        await WriteFileAsync(Path.Combine(_directory, id + "-small.jpg"), small, cancellationToken);

        await records.AddAsync(new AlertImageRecord(id, source.Source, request.Id, original.Caption, original.TakenAt, time.GetUtcNow(), actor,
            width, height, full.Length, small.Length), cancellationToken);

        var baseUrl = hub.Value.PublicBaseUrl.TrimEnd('/');
        var image = new AlertImage(id, source.Source, request.Id, $"{baseUrl}{PathPrefix}{id}.jpg", $"{baseUrl}{PathPrefix}{id}-small.jpg",
            original.Caption, width, height);
        if (!AlertImage.IsFetchableByProviders(image.Url))
        {
            LogNotHttps(logger, id, baseUrl);
        }

        return image;
    }

    /// <summary>The file behind <c>{id}.jpg</c> or <c>{id}-small.jpg</c>, or null for any other name.</summary>
    public string? FilePath(string fileName)
    {
        var id = fileName.EndsWith("-small.jpg", StringComparison.Ordinal) ? fileName[..^"-small.jpg".Length]
            : fileName.EndsWith(".jpg", StringComparison.Ordinal) ? fileName[..^".jpg".Length]
            : null;
        if (id is not { Length: 32 } || !id.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        var path = Path.Combine(_directory, fileName);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Resizes, then lowers the quality (and finally the size) until the copy is within <paramref name="maxBytes"/>.</summary>
    internal static byte[] Fit(byte[] jpeg, int maxPixels, int maxBytes, int quality)
    {
        var pixels = maxPixels;
        var copy = JpegImages.Resize(jpeg, pixels, pixels, quality);
        while (copy.Length > maxBytes)
        {
            if (quality > 40)
            {
                quality -= 15;
            }
            else if (pixels > 64)
            {
                pixels = pixels * 3 / 4;
            }
            else
            {
                break;
            }

            copy = JpegImages.Resize(jpeg, pixels, pixels, quality);
        }

        return copy;
    }

    private static async Task WriteFileAsync(string path, byte[] data, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, data, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Alert image {ImageId}: Hub:PublicBaseUrl {BaseUrl} is not HTTPS, so LINE and FCM (iOS) carry a link instead of showing the picture")]
    private static partial void LogNotHttps(ILogger logger, string imageId, string baseUrl);
}
