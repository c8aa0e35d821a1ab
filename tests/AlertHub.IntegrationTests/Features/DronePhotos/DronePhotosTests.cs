using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features.DronePhotos;

public sealed class DronePhotosTests : IAsyncLifetime
{
    // 横手市役所 本庁舎 (approx.).
    private const double Lat = 39.3114;
    private const double Lon = 140.5535;

    private HubFactory _hub = null!;
    private string _ingestKey = null!;

    public async Task InitializeAsync()
    {
        _hub = new HubFactory(settings: new() { ["DronePhotos:MaxPhotoBytes"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await _hub.WaitReadyAsync();
        _ingestKey = await _hub.CreateKeyAsync("ingest");
    }

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    [ToolFact("exiftool")]
    public async Task Upload_DjiTaggedPhoto_LandsAtItsCoordinatesWithAltitudeAndGimbal()
    {
        var photo = await TestPhotos.DjiAsync(TestPhotos.Jpeg(), Lat, Lon);
        var viewerKey = await _hub.CreateKeyAsync("viewer");
        var events = new List<JsonObject>();
        await using var staff = _hub.SignalR(viewerKey);
        staff.On<JsonObject>("dronePhoto", e => { lock (events) { events.Add(e); } });
        await staff.StartListeningAsync();

        var response = await UploadAsync(photo, note: "横手川 左岸 崩落");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var feature = await response.JsonAsync();
        Assert.Equal("Feature", feature["type"]!.GetValue<string>());
        var coordinates = feature["geometry"]!["coordinates"]!.AsArray();
        Assert.Equal(Lon, coordinates[0]!.GetValue<double>(), 5);
        Assert.Equal(Lat, coordinates[1]!.GetValue<double>(), 5);
        var p = feature["properties"]!;
        Assert.Equal(120.5, p["altitude"]!.GetValue<double>(), 3);
        Assert.Equal(45.2, p["relativeAltitude"]!.GetValue<double>(), 3);
        Assert.Equal(-12.3, p["gimbalYawDegrees"]!.GetValue<double>(), 3);
        Assert.Equal(-90.0, p["gimbalPitchDegrees"]!.GetValue<double>(), 3);
        Assert.Equal(178.4, p["flightYawDegrees"]!.GetValue<double>(), 3);
        Assert.Equal("DJI", p["make"]!.GetValue<string>());
        Assert.Equal("FC3411", p["model"]!.GetValue<string>());
        // No OffsetTimeOriginal: 10:15:30 is read as Japan time, and the feature says so.
        Assert.Equal(new DateTimeOffset(2026, 9, 1, 1, 15, 30, TimeSpan.Zero), p["takenAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal("assumed-jst", p["takenAtTimeZone"]!.GetValue<string>());
        Assert.False(p["needsManualPlacement"]!.GetValue<bool>());
        Assert.Equal("exif", p["positionSource"]!.GetValue<string>());
        Assert.Equal("横手川 左岸 崩落", p["note"]!.GetValue<string>());
        var id = p["id"]!.GetValue<string>();
        Assert.Equal($"/api/drone-photos/{id}.jpg", p["photoUrl"]!.GetValue<string>());

        using var viewer = _hub.WithKey(viewerKey);
        var collection = await (await viewer.GetAsync("/api/drone-photos")).JsonAsync();
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        Assert.Equal(id, Assert.Single(collection["features"]!.AsArray())!["properties"]!["id"]!.GetValue<string>());

        // Staff get the original with its position; nobody gets it without a key.
        var original = await viewer.GetByteArrayAsync(p["photoUrl"]!.GetValue<string>());
        Assert.Equal(photo, original);
        Assert.NotNull(ImageMetadataReader.ReadMetadata(new MemoryStream(original)).OfType<GpsDirectory>().Single().GetGeoLocation());
        using var anonymous = _hub.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(p["photoUrl"]!.GetValue<string>())).StatusCode);
        var thumbnail = await viewer.GetByteArrayAsync(p["thumbnailUrl"]!.GetValue<string>());
        Assert.Equal(320, SkiaSharp.SKBitmap.DecodeBounds(thumbnail).Width);

        await WaitAsync(() => { lock (events) { return events.Count == 1; } });
        lock (events)
        {
            Assert.Equal(id, events[0]["properties"]!["id"]!.GetValue<string>());
            Assert.Equal(Lat, events[0]["geometry"]!["coordinates"]![1]!.GetValue<double>(), 5);
        }
    }

    [ToolFact("exiftool")]
    public async Task Upload_WithOffsetTimeOriginal_UsesTheRecordedOffset()
    {
        var photo = await TestPhotos.DjiAsync(TestPhotos.Jpeg(640, 480), -33.8568, 151.2153, offsetTime: "+10:00");

        var feature = await (await UploadAsync(photo)).JsonAsync();

        var p = feature["properties"]!;
        Assert.Equal(new DateTimeOffset(2026, 9, 1, 0, 15, 30, TimeSpan.Zero), p["takenAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal("exif", p["takenAtTimeZone"]!.GetValue<string>());
        // Southern and western references turn into negative coordinates.
        Assert.Equal(-33.8568, feature["geometry"]!["coordinates"]![1]!.GetValue<double>(), 5);
    }

    [Fact]
    public async Task Upload_WithoutGps_IsFlaggedAndStaffCanPlaceIt()
    {
        var response = await UploadAsync(TestPhotos.Jpeg(800, 600));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var feature = await response.JsonAsync();
        Assert.Null(feature["geometry"]);
        Assert.True(feature.AsObject().ContainsKey("geometry"), "a GeoJSON Feature always has a geometry member");
        Assert.True(feature["properties"]!["needsManualPlacement"]!.GetValue<bool>());
        Assert.Null(feature["properties"]!["positionSource"]);
        Assert.Null(feature["properties"]!["takenAt"]);
        var id = feature["properties"]!["id"]!.GetValue<string>();

        using var ingest = _hub.WithKey(_ingestKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await ingest.PutAsJsonAsync($"/api/drone-photos/{id}/position", new { lat = Lat, lon = Lon })).StatusCode);
        using var issuer = _hub.WithKey(await _hub.CreateKeyAsync("issuer"));
        await (await issuer.PutAsJsonAsync($"/api/drone-photos/{id}/position", new { lat = 91.0, lon = Lon })).AssertProblemAsync(400, "drone_photos.position_invalid");
        await (await issuer.PutAsJsonAsync("/api/drone-photos/0123456789abcdef0123456789abcdef/position", new { lat = Lat, lon = Lon }))
            .AssertProblemAsync(404, "drone_photos.not_found");

        var placed = await issuer.PutAsJsonAsync($"/api/drone-photos/{id}/position", new { lat = Lat, lon = Lon });

        Assert.Equal(HttpStatusCode.OK, placed.StatusCode);
        var after = await (await issuer.GetAsync($"/api/drone-photos/{id}")).JsonAsync();
        Assert.Equal(Lon, after["geometry"]!["coordinates"]![0]!.GetValue<double>(), 6);
        Assert.False(after["properties"]!["needsManualPlacement"]!.GetValue<bool>());
        Assert.Equal("manual", after["properties"]!["positionSource"]!.GetValue<string>());
        using var admin = _hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit?limit=50")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "drone_photos.position" && e["target"]!.GetValue<string>() == id);
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "drone_photos.upload" && e["target"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Upload_PngRenamedJpg_IsRefusedAndNothingStored()
    {
        var response = await UploadAsync(TestPhotos.Png(), fileName: "DJI_0001.jpg");

        var problem = await response.AssertProblemAsync(415, "drone_photos.not_jpeg");
        Assert.Contains("PNG", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_DeclaredAsPng_IsRefusedAndNothingStored()
    {
        var response = await UploadAsync(TestPhotos.Jpeg(64, 48), contentType: "image/png");

        await response.AssertProblemAsync(415, "drone_photos.not_jpeg");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_TruncatedJpeg_IsRefusedAndNothingStored()
    {
        var jpeg = TestPhotos.Jpeg(800, 600);

        var response = await UploadAsync(jpeg[..(jpeg.Length * 2 / 3)]);

        await response.AssertProblemAsync(400, "drone_photos.truncated");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_OverTheConfiguredLimit_IsRefusedWhetherAnnouncedOrStreamed()
    {
        // 4 MiB limit in this hub; a 6 MB "photo" (a real JPEG header followed by filler).
        var big = new byte[6 * 1024 * 1024];
        TestPhotos.Jpeg(64, 48).CopyTo(big, 0);

        var announced = await UploadAsync(big);
        await announced.AssertProblemAsync(413, "drone_photos.too_large");

        // Chunked (no Content-Length): refused once the read passes the limit.
        var streamed = await UploadAsync(big, chunked: true);
        await streamed.AssertProblemAsync(413, "drone_photos.too_large");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_200MegabyteBody_IsRefusedBeforeTheBodyIsSent()
    {
        // Real Kestrel on 127.0.0.1 and real sockets: the in-memory test server would pump the whole body itself.
        using var hub = new HubFactory();
        hub.UseKestrel(0);
        hub.StartServer();
        await hub.WaitReadyAsync();
        var key = await hub.CreateKeyAsync("ingest");
        using var client = hub.WithKey(key);
        Assert.Equal("127.0.0.1", client.BaseAddress!.Host);

        // The client announces 200 MB and sends the first megabyte: the answer comes back with 199 MB still unsent,
        // so nothing can have been buffered.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync("127.0.0.1", client.BaseAddress.Port);
        var stream = socket.GetStream();
        var head = "POST /api/drone-photos HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: " + key +
                   "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 209715200\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(new byte[1024 * 1024]);
        // Bounded wait: a server that waited for the rest of the body would never answer, and the read would be cancelled.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var answer = new byte[4096];
        var read = await stream.ReadAsync(answer, timeout.Token);
        var text = System.Text.Encoding.UTF8.GetString(answer, 0, read);

        Assert.StartsWith("HTTP/1.1 413", text, StringComparison.Ordinal);
        Assert.Contains("Connection: close", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Upload_SamePhotoTwice_ReturnsTheFirstInsteadOfADuplicate()
    {
        var jpeg = TestPhotos.Jpeg(640, 480, seed: 7);

        var first = await (await UploadAsync(jpeg)).JsonAsync();
        var again = await UploadAsync(jpeg);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first["properties"]!["id"]!.GetValue<string>(), (await again.JsonAsync())["properties"]!["id"]!.GetValue<string>());
        using var admin = _hub.Admin();
        Assert.Single((await (await admin.GetAsync("/api/drone-photos")).JsonAsync())["features"]!.AsArray());
    }

    [Fact]
    public async Task Upload_WrongRoleOrNotMultipart_IsRefused()
    {
        using var viewer = _hub.WithKey(await _hub.CreateKeyAsync("viewer"));
        using var form = Form(TestPhotos.Jpeg(64, 48), "a.jpg", "image/jpeg", chunked: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/drone-photos", form)).StatusCode);

        using var ingest = _hub.WithKey(_ingestKey);
        var raw = new ByteArrayContent(TestPhotos.Jpeg(64, 48));
        raw.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        await (await ingest.PostAsync("/api/drone-photos", raw)).AssertProblemAsync(415, "request.unsupported_media_type");

        using var noPhoto = new MultipartFormDataContent { { new StringContent("only a note"), "note" } };
        await (await ingest.PostAsync("/api/drone-photos", noPhoto)).AssertProblemAsync(400, "drone_photos.missing_photo");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Since_ListsOnlyPhotosReceivedFromThatTime()
    {
        await UploadAsync(TestPhotos.Jpeg(320, 240, seed: 2));
        var cut = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var later = await (await UploadAsync(TestPhotos.Jpeg(320, 240, seed: 3))).JsonAsync();

        using var admin = _hub.Admin();
        var all = (await (await admin.GetAsync("/api/drone-photos")).JsonAsync())["features"]!.AsArray();
        var recent = (await (await admin.GetAsync($"/api/drone-photos?since={Uri.EscapeDataString(cut.ToString("O"))}")).JsonAsync())["features"]!.AsArray();

        Assert.Equal(2, all.Count);
        Assert.Equal(later["properties"]!["id"]!.GetValue<string>(), Assert.Single(recent)!["properties"]!["id"]!.GetValue<string>());
    }

    private async Task<HttpResponseMessage> UploadAsync(byte[] photo, string fileName = "DJI_0001.JPG", string contentType = "image/jpeg",
        string? note = null, bool chunked = false)
    {
        using var client = _hub.WithKey(_ingestKey);
        using var form = Form(photo, fileName, contentType, chunked, note);
        return await client.PostAsync("/api/drone-photos", form);
    }

    /// <summary>The upload form a drone app sends (also used by the disk-space tests).</summary>
    internal static HttpContent Form(byte[] photo, string fileName, string contentType, bool chunked, string? note = null)
    {
        HttpContent file = chunked ? new StreamContent(new NoLengthStream(photo)) : new ByteArrayContent(photo);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var form = new MultipartFormDataContent("drone-boundary") { { file, "photo", fileName } };
        if (note is not null)
        {
            form.Add(new StringContent(note), "note");
        }

        if (chunked)
        {
            // No Content-Length: the hub cannot know the size before reading.
            var wrapper = new StreamContent(new NoLengthStream(ReadAll(form)));
            wrapper.Headers.ContentType = form.Headers.ContentType;
            form.Dispose();
            return wrapper;
        }

        return form;
    }

    private static byte[] ReadAll(HttpContent content) => content.ReadAsByteArrayAsync().GetAwaiter().GetResult();

    private async Task AssertNothingStoredAsync()
    {
        using var admin = _hub.Admin();
        Assert.Empty((await (await admin.GetAsync("/api/drone-photos")).JsonAsync())["features"]!.AsArray());
        var folder = Path.Combine(_hub.DataDirectory, "drone-photos");
        Assert.True(!System.IO.Directory.Exists(folder) || System.IO.Directory.GetFiles(folder).Length == 0, "no files are left behind");
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "condition not met within 10 s");
    }

    /// <summary>A readable stream that hides its length, so HttpClient sends it chunked.</summary>
    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
