using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Media;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Cameras;

/// <summary>The registry, pushed stills, history, normal day, timeline and the alert image source; no external programs needed.</summary>
public sealed class CameraRegistryTests : IDisposable
{
    private readonly HubFactory _hub = new(settings: new()
    {
        ["Cameras:MaxSnapshotBytes"] = "200000",
        ["Cameras:HistoryInterval"] = "00:00:00",
        ["Cameras:HealthCheckInterval"] = "00:00:00.200",
        // RTSP's default port, refused on loopback only: an rtsp URL without a port must be checked on 554.
        ["Security:OutboundUrls:DeniedHosts:0"] = "127.0.0.1:554",
    });

    public void Dispose() => _hub.Dispose();

    private static object Camera(string kind, string? url, string? username = null, string? password = null, double lat = 39.31, double lon = 140.56,
        int interval = 60) => new
    {
        name = "横手川 蛇の崎橋",
        kind,
        url,
        location = new { lat, lon },
        river = "横手川",
        district = "横手地域",
        directionDegrees = 120.0,
        fieldOfViewDegrees = 60.0,
        snapshotIntervalSeconds = interval,
        username,
        password,
    };

    [Fact]
    public async Task Credentials_StoredEncryptedAndReadAfterARestart_PlainOnesOfAnOlderHubEncryptedAtStart()
    {
        var directory = HubFactory.NewDataDirectory();
        var database = $"Data Source={Path.Combine(directory, "alerthub.db")};Pooling=False";
        try
        {
            string withCredentials, legacy;
            using (var first = new HubFactory(directory))
            {
                await first.WaitReadyAsync();
                using var admin = first.Admin();
                withCredentials = (await (await admin.PostAsJsonAsync("/api/cameras", Camera("rtsp", "rtsp://127.0.0.1:8554/a", "operator", "s3cret-Pa55")))
                    .JsonAsync())["id"]!.GetValue<string>();
                legacy = (await (await admin.PostAsJsonAsync("/api/cameras", Camera("rtsp", "rtsp://127.0.0.1:8554/b"))).JsonAsync())["id"]!.GetValue<string>();
            }

            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(database))
            {
                await connection.OpenAsync();
                await using var cmd = connection.CreateCommand();
                // As a hub from before passwords were encrypted stored them.
                cmd.CommandText = $"INSERT INTO camera_credentials(camera_id, username, password) VALUES ('{legacy}', 'operator', 'legacy-Pa55')";
                await cmd.ExecuteNonQueryAsync();
                Assert.DoesNotContain("s3cret-Pa55", await StoredPasswordAsync(connection, withCredentials), StringComparison.Ordinal);
            }

            using (var second = new HubFactory(directory))
            {
                await second.WaitReadyAsync();
                var store = second.Services.GetRequiredService<AlertHub.Core.Storage.ICameraStore>();
                Assert.Equal("s3cret-Pa55", (await store.GetCredentialsAsync(withCredentials, CancellationToken.None))?.Password);
                Assert.Equal("legacy-Pa55", (await store.GetCredentialsAsync(legacy, CancellationToken.None))?.Password);
            }

            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(database))
            {
                await connection.OpenAsync();
                Assert.DoesNotContain("legacy-Pa55", await StoredPasswordAsync(connection, legacy), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        static async Task<string> StoredPasswordAsync(Microsoft.Data.Sqlite.SqliteConnection connection, string cameraId)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT password FROM camera_credentials WHERE camera_id = $id";
            cmd.Parameters.AddWithValue("$id", cameraId);
            return (string)(await cmd.ExecuteScalarAsync())!;
        }
    }

    [Fact]
    public async Task Register_WithCredentials_ListShowsCameraButNeverTheCredentials()
    {
        await _hub.WaitReadyAsync();
        using var admin = _hub.Admin();
        var created = await admin.PostAsJsonAsync("/api/cameras", Camera("rtsp", "rtsp://127.0.0.1:8554/cam", "operator", "s3cret-Pa55"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadAsStringAsync();
        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();

        using var viewer = _hub.WithKey(await _hub.CreateKeyAsync("viewer"));
        var listText = await viewer.GetStringAsync("/api/cameras");
        var list = JsonNode.Parse(listText)!;
        var camera = list["cameras"]!.AsArray().Single()!;
        Assert.Equal(id, camera["id"]!.GetValue<string>());
        Assert.Equal("rtsp://127.0.0.1:8554/cam", camera["url"]!.GetValue<string>());
        Assert.Equal("rtsp", camera["kind"]!.GetValue<string>());
        Assert.Equal(39.31, camera["location"]!["lat"]!.GetValue<double>());
        Assert.Equal($"/live/{id}/index.m3u8", camera["liveUrl"]!.GetValue<string>());
        Assert.Equal($"/api/cameras/{id}/snapshot.jpg", camera["snapshotUrl"]!.GetValue<string>());
        Assert.True(camera["hasCredentials"]!.GetValue<bool>());
        Assert.NotNull(list["mediaEngine"]!["available"]);
        foreach (var text in new[] { body, listText, await viewer.GetStringAsync($"/api/cameras/{id}") })
        {
            Assert.DoesNotContain("s3cret-Pa55", text, StringComparison.Ordinal);
            Assert.DoesNotContain("operator", text, StringComparison.Ordinal);
        }

        var audit = await admin.GetStringAsync("/api/audit");
        Assert.Contains("cameras.create", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-Pa55", audit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("webcam", "http://127.0.0.1/x.jpg", "cameras.kind_invalid")]
    [InlineData("rtsp", "http://127.0.0.1/x", "cameras.url_invalid")]
    [InlineData("hls", "rtsp://127.0.0.1/x", "cameras.url_invalid")]
    [InlineData("rtsp", "rtsp://admin:pw@127.0.0.1/cam", "cameras.url_invalid")]
    [InlineData("rtsp", "rtsp://10.1.2.3/cam", "cameras.url_forbidden")]
    [InlineData("jpeg-poll", "http://192.168.1.20/snap.jpg", "cameras.url_forbidden")]
    [InlineData("rtsp", "rtsp://127.0.0.1/cam", "cameras.url_forbidden")]
    [InlineData("hls", null, "cameras.url_invalid")]
    public async Task Register_BadInput_Returns400WithCode(string kind, string? url, string code)
    {
        await _hub.WaitReadyAsync();
        using var admin = _hub.Admin();
        await (await admin.PostAsJsonAsync("/api/cameras", Camera(kind, url))).AssertProblemAsync(400, code);
        Assert.Empty((await admin.GetFromJsonAsync<JsonObject>("/api/cameras"))!["cameras"]!.AsArray());
    }

    [Fact]
    public async Task Register_BadLocationOrInterval_Returns400AndViewerMayNotRegister()
    {
        await _hub.WaitReadyAsync();
        using var admin = _hub.Admin();
        await (await admin.PostAsJsonAsync("/api/cameras", Camera("jpeg-poll", null, lat: 95))).AssertProblemAsync(400, "cameras.location_invalid");
        await (await admin.PostAsJsonAsync("/api/cameras", Camera("jpeg-poll", null, interval: 0))).AssertProblemAsync(400, "cameras.invalid");
        await (await admin.PostAsJsonAsync("/api/cameras", Camera("jpeg-poll", null, password: "only-a-password"))).AssertProblemAsync(400, "cameras.invalid");
        using var viewer = _hub.WithKey(await _hub.CreateKeyAsync("viewer"));
        await (await viewer.PostAsJsonAsync("/api/cameras", Camera("jpeg-poll", null))).AssertProblemAsync(403, "auth.forbidden");
    }

    [Fact]
    public async Task UpdateAndDelete_ChangeTheCameraThenRemoveIt()
    {
        await _hub.WaitReadyAsync();
        using var admin = _hub.Admin();
        var id = await CreateAsync(admin, Camera("jpeg-poll", null));
        var updated = await admin.PutAsJsonAsync($"/api/cameras/{id}", new
        {
            name = "新しい名前", kind = "jpeg-poll", location = new { lat = 39.0, lon = 140.0 }, snapshotIntervalSeconds = 300,
        });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var json = await updated.JsonAsync();
        Assert.Equal("新しい名前", json["name"]!.GetValue<string>());
        Assert.Equal(300, json["snapshotIntervalSeconds"]!.GetValue<int>());
        Assert.Null(json["liveUrl"]);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/cameras/{id}")).StatusCode);
        await (await admin.GetAsync($"/api/cameras/{id}")).AssertProblemAsync(404, "cameras.not_found");
        await (await admin.DeleteAsync($"/api/cameras/{id}")).AssertProblemAsync(404, "cameras.not_found");
    }

    [Fact]
    public async Task PushedStills_BecomeLatestHistoryThumbnailAndNormalDay_WithEventsForStaff()
    {
        await _hub.WaitReadyAsync();
        using var admin = _hub.Admin();
        var id = await CreateAsync(admin, Camera("jpeg-poll", null));
        using var viewer = _hub.WithKey(await _hub.CreateKeyAsync("viewer"));
        await (await viewer.GetAsync($"/api/cameras/{id}/snapshot.jpg")).AssertProblemAsync(404, "cameras.no_snapshot");
        await (await viewer.GetAsync($"/api/cameras/{id}/thumbnail.jpg")).AssertProblemAsync(404, "cameras.no_snapshot");

        var events = new List<JsonElement>();
        await using var staff = _hub.SignalR(HubFactory.AdminKey);
        staff.On<JsonElement>("cameraSnapshot", m => { lock (events) { events.Add(m); } });
        await staff.StartListeningAsync();

        using var ingest = _hub.WithKey(await _hub.CreateKeyAsync("ingest"));
        var first = TestImages.Jpeg("first", 1280, 720);
        var second = TestImages.Jpeg("second", 1280, 720);
        var snap1 = await PushAsync(ingest, id, first);
        var snap2 = await PushAsync(ingest, id, second);

        Assert.Equal(second, await viewer.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg"));
        var thumbResponse = await viewer.GetAsync($"/api/cameras/{id}/thumbnail.jpg");
        Assert.Equal("image/jpeg", thumbResponse.Content.Headers.ContentType?.MediaType);
        var thumb = await thumbResponse.Content.ReadAsByteArrayAsync();
        Assert.Equal(JpegProblem.None, JpegImages.Check(thumb));
        Assert.Equal((320, 180), JpegImages.Dimensions(thumb));

        var history = (await viewer.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/snapshots"))!;
        Assert.Equal([snap1, snap2], history.Select(h => h!["id"]!.GetValue<string>()).ToArray());
        Assert.Equal(first, await viewer.GetByteArrayAsync(history[0]!["url"]!.GetValue<string>()));
        Assert.Equal((320, 180), JpegImages.Dimensions(await viewer.GetByteArrayAsync(history[0]!["thumbnailUrl"]!.GetValue<string>())));

        await (await viewer.GetAsync($"/api/cameras/{id}/normal-day.jpg")).AssertProblemAsync(404, "cameras.no_normal_day");
        await (await viewer.PutAsJsonAsync($"/api/cameras/{id}/normal-day", new { snapshotId = snap1 })).AssertProblemAsync(403, "auth.forbidden");
        using var issuer = _hub.WithKey(await _hub.CreateKeyAsync("issuer"));
        await (await issuer.PutAsJsonAsync($"/api/cameras/{id}/normal-day", new { snapshotId = "nope" })).AssertProblemAsync(404, "cameras.snapshot_not_found");
        Assert.Equal(HttpStatusCode.OK, (await issuer.PutAsJsonAsync($"/api/cameras/{id}/normal-day", new { snapshotId = snap1 })).StatusCode);
        Assert.Equal(first, await viewer.GetByteArrayAsync($"/api/cameras/{id}/normal-day.jpg"));

        var source = _hub.Services.GetServices<IAlertImageSource>().Single(s => s.Source == "camera-snapshot");
        var original = await source.GetAsync(snap2, CancellationToken.None);
        Assert.NotNull(original);
        Assert.Equal(second, original.Jpeg);
        Assert.Contains("横手川", original.Caption, StringComparison.Ordinal);
        Assert.Null(await source.GetAsync("unknown", CancellationToken.None));

        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(events.Count >= 2 ? events : null), TimeSpan.FromSeconds(10), "cameraSnapshot events");
        lock (events)
        {
            Assert.All(events, e => Assert.Equal(id, e.GetProperty("cameraId").GetString()));
            Assert.StartsWith($"/api/cameras/{id}/snapshot.jpg", events[^1].GetProperty("url").GetString(), StringComparison.Ordinal);
        }

        // Two different stills within the thresholds: the camera is online, and that is on its timeline.
        var online = await CameraTestHelpers.EventuallyAsync(async () =>
        {
            var timeline = (await viewer.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/timeline"))!;
            return timeline.Any(t => t!["status"]!.GetValue<string>() == "online") ? timeline : null;
        }, TimeSpan.FromSeconds(10), "online on the timeline");
        Assert.Equal("unknown", online[0]!["previous"]!.GetValue<string>());
    }

    [Fact]
    public async Task PushedStill_BadImages_AreRefusedWithCodesAndKeepWhatWasAccepted()
    {
        await _hub.WaitReadyAsync();
        using var admin = _hub.Admin();
        var id = await CreateAsync(admin, Camera("jpeg-poll", null));
        using var ingest = _hub.WithKey(await _hub.CreateKeyAsync("ingest"));
        var good = TestImages.Jpeg("good");
        await PushAsync(ingest, id, good);

        await (await PostImageAsync(ingest, id, TestImages.Png(), "image/jpeg")).AssertProblemAsync(415, "cameras.image_not_jpeg");
        await (await PostImageAsync(ingest, id, good[..(good.Length / 2)], "image/jpeg")).AssertProblemAsync(400, "cameras.image_truncated");
        await (await PostImageAsync(ingest, id, new byte[300_000], "image/jpeg")).AssertProblemAsync(413, "cameras.image_too_large");
        await (await PostImageAsync(ingest, id, good, "text/plain")).AssertProblemAsync(415, "cameras.image_not_jpeg");
        await (await PostImageAsync(ingest, "no-such-camera", good, "image/jpeg")).AssertProblemAsync(404, "cameras.not_found");
        using var viewer = _hub.WithKey(await _hub.CreateKeyAsync("viewer"));
        await (await PostImageAsync(viewer, id, good, "image/jpeg")).AssertProblemAsync(403, "auth.forbidden");

        Assert.Equal(good, await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg"));
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/snapshots"))!);
    }

    [Fact]
    public async Task LiveAndSnapshotPaths_TraversalAndUnknownFilesAreRefused()
    {
        await _hub.WaitReadyAsync();
        using var admin = _hub.Admin();
        var id = await CreateAsync(admin, Camera("rtsp", "rtsp://127.0.0.1:1/cam"));
        File.WriteAllText(Path.Combine(_hub.DataDirectory, "secret.txt"), "TOP-SECRET-CONTENT");
        foreach (var path in new[]
                 {
                     $"/live/{id}/..%2F..%2Fsecret.txt", $"/live/{id}/%2E%2E%2Fsecret.txt", $"/live/{id}/seg_1.ts%2F..%2F..%2Fsecret.txt",
                     $"/live/{id}/alerthub.db", $"/api/cameras/{id}/snapshots/..%2F..%2Fsecret.txt", "/live/..%2F..%2Fsecret.txt/index.m3u8",
                 })
        {
            var response = await admin.GetAsync(path);
            Assert.True((int)response.StatusCode is 404 or 400, $"{path}: {(int)response.StatusCode}");
            Assert.DoesNotContain("TOP-SECRET-CONTENT", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var anonymous = _hub.CreateClient();
        await (await anonymous.GetAsync($"/live/{id}/index.m3u8")).AssertProblemAsync(401, "auth.missing_key");
    }

    [Fact]
    public async Task HistoryPastRetention_IsPruned_ExceptThePinnedNormalDay()
    {
        using var hub = new HubFactory(settings: new() { ["Cameras:HistoryInterval"] = "00:00:00", ["Cameras:HistoryRetention"] = "00:00:01" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var id = await CreateAsync(admin, Camera("jpeg-poll", null));
        var pinned = await PushAsync(admin, id, TestImages.Jpeg("normal day"));
        var old = await PushAsync(admin, id, TestImages.Jpeg("flood"));
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/cameras/{id}/normal-day", new { snapshotId = pinned })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/cameras/{id}/snapshots/{old}/thumbnail.jpg")).StatusCode);
        await Task.Delay(1500);

        var snapshots = hub.Services.GetRequiredService<AlertHub.Server.Features.Cameras.CameraSnapshots>();
        Assert.Equal(1, await snapshots.PruneAsync(CancellationToken.None));
        await (await admin.GetAsync($"/api/cameras/{id}/snapshots/{old}.jpg")).AssertProblemAsync(404, "cameras.snapshot_not_found");
        Assert.False(File.Exists(snapshots.HistoryPath(id, old)));
        Assert.False(File.Exists(snapshots.HistoryThumbnailPath(id, old)));
        Assert.Equal([pinned], (await admin.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/snapshots"))!.Select(s => s!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/cameras/{id}/normal-day.jpg")).StatusCode);
    }

    private static async Task<string> CreateAsync(HttpClient admin, object camera)
    {
        var response = await admin.PostAsJsonAsync("/api/cameras", camera);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync())["id"]!.GetValue<string>();
    }

    private static Task<HttpResponseMessage> PostImageAsync(HttpClient client, string id, byte[] data, string contentType)
    {
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return client.PostAsync($"/api/cameras/{id}/snapshots", content);
    }

    private static async Task<string> PushAsync(HttpClient ingest, string id, byte[] jpeg)
    {
        var response = await PostImageAsync(ingest, id, jpeg, "image/jpeg");
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync())["id"]!.GetValue<string>();
    }
}
