using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Features.DronePhotos;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Fcm;
using AlertHub.MobileSim.Peers.WebPush;
using AlertHub.MobileSim.Report;
using AlertHub.Server.Features.Media;
using AlertHub.Tests.Shared;
using Microsoft.AspNetCore.SignalR.Client;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Xmp;

namespace AlertHub.IntegrationTests.Features.AlertImages;

public sealed class AlertImagesTests : IAsyncLifetime
{
    private const double Lat = 39.3114;
    private const double Lon = 140.5535;
    private const string PublicBaseUrl = "https://bousai.city.yokote.test";

    private readonly ReceiptLog _receipts = new();
    private FakeFcm _fcm = null!;
    private FakePushService _push = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _fcm = new FakeFcm(_receipts);
        await _fcm.StartAsync();
        _push = new FakePushService(_receipts);
        await _push.StartAsync();
        var settings = _fcm.HubSettings.Concat(_push.HubSettings).ToDictionary();
        settings["Hub:PublicBaseUrl"] = PublicBaseUrl;
        settings["Channels:WebPush:Subject"] = "mailto:bousai@city.yokote.example";
        _hub = new HubFactory(settings: settings);
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _push.DisposeAsync();
        await _fcm.DisposeAsync();
    }

    [ToolFact("exiftool")]
    public async Task Alert_WithDronePhoto_DeliversTheImageUrlOverFcmAndWebPush_AndTheUrlServesAMetadataFreeJpeg()
    {
        var photoId = await UploadDronePhotoAsync(await TestPhotos.DjiAsync(TestPhotos.Jpeg(1600, 1200), Lat, Lon));
        using var client = _hub.CreateClient();
        var token = _fcm.EndpointFor("res-fcm").Address!;
        await Api.RegisterAsync(client, Lat, Lon, endpoints: [new { channel = "fcm", address = token }]);
        var subscription = _push.Subscribe();
        await Api.RegisterAsync(client, Lat, Lon, endpoints: [new { channel = "webpush", address = subscription.Endpoint,
            keys = new { p256dh = subscription.P256dh, auth = subscription.Auth } }]);
        using var admin = _hub.Admin();
        var staffEvents = new List<JsonObject>();
        await using var staff = _hub.SignalR(HubFactory.AdminKey);
        staff.On<JsonObject>("alertIssued", e => { lock (staffEvents) { staffEvents.Add(e); } });
        await staff.StartListeningAsync();

        var id = (await Api.IssueAsync(admin, AlertWithImage("drone-photo", photoId)))["id"]!.GetValue<string>();
        var alert = await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(20));

        var imageUrl = alert["imageUrl"]!.GetValue<string>();
        Assert.Matches(@"^https://bousai\.city\.yokote\.test/media/alert-images/[0-9a-f]{32}\.jpg$", imageUrl);
        var smallUrl = alert["current"]!["image"]!["smallUrl"]!.GetValue<string>();
        Assert.Equal(imageUrl.Replace(".jpg", "-small.jpg", StringComparison.Ordinal), smallUrl);

        var fcm = Assert.Single(_fcm.AcceptedFor(token)).Message!;
        Assert.Equal(imageUrl, fcm["notification"]!["image"]!.GetValue<string>());
        Assert.Equal(imageUrl, fcm["android"]!["notification"]!["image"]!.GetValue<string>());
        Assert.Equal(imageUrl, fcm["apns"]!["fcm_options"]!["image"]!.GetValue<string>());
        Assert.Equal(1, fcm["apns"]!["payload"]!["aps"]!["mutable-content"]!.GetValue<int>());
        Assert.Equal(imageUrl, fcm["webpush"]!["notification"]!["image"]!.GetValue<string>());
        Assert.Equal(imageUrl, fcm["data"]!["imageUrl"]!.GetValue<string>());

        for (var i = 0; i < 200 && !HasEvent(); i++)
        {
            await Task.Delay(50);
        }

        lock (staffEvents)
        {
            Assert.Equal(imageUrl, Assert.Single(staffEvents)["imageUrl"]!.GetValue<string>());
        }

        bool HasEvent()
        {
            lock (staffEvents)
            {
                return staffEvents.Count > 0;
            }
        }

        var pushed = Assert.Single(_push.Messages, m => m.SubscriptionId == subscription.Id);
        Assert.Equal(imageUrl, pushed.Json.GetProperty("image").GetString());

        // The public copies: anonymous, JPEG, within the size rules, and without any position or camera metadata.
        using var anonymous = _hub.CreateClient();
        foreach (var (url, maxPixels, maxBytes) in new[] { (imageUrl, 1280, 1_000_000), (smallUrl, 400, 200_000) })
        {
            var response = await anonymous.GetAsync(new Uri(url).AbsolutePath);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("immutable", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
            var jpeg = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(JpegProblem.None, JpegImages.Check(jpeg));
            Assert.InRange(jpeg.Length, 1, maxBytes);
            Assert.Equal(maxPixels, JpegImages.Dimensions(jpeg)!.Value.Width);
            var directories = ImageMetadataReader.ReadMetadata(new MemoryStream(jpeg));
            Assert.Empty(directories.OfType<GpsDirectory>());
            Assert.Empty(directories.OfType<XmpDirectory>());
            Assert.Empty(directories.OfType<ExifIfd0Directory>());
        }

        // The original on the staff side still has its GPS: only the public copy lost it.
        var original = await admin.GetByteArrayAsync($"/api/drone-photos/{photoId}.jpg");
        Assert.NotEmpty(ImageMetadataReader.ReadMetadata(new MemoryStream(original)).OfType<GpsDirectory>());
    }

    [Fact]
    public async Task Cancel_OfAnAlertWithAPicture_CarriesNoPicture()
    {
        var photoId = await UploadDronePhotoAsync(TestPhotos.Jpeg(640, 480, seed: 4));
        using var client = _hub.CreateClient();
        var token = _fcm.EndpointFor("res-cancel").Address!;
        await Api.RegisterAsync(client, Lat, Lon, endpoints: [new { channel = "fcm", address = token }]);
        using var admin = _hub.Admin();
        var id = (await Api.IssueAsync(admin, AlertWithImage("drone-photo", photoId)))["id"]!.GetValue<string>();
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/alerts/{id}/cancel", null)).StatusCode);
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(20));

        var messages = _fcm.AcceptedFor(token).Select(m => m.Message!).OrderBy(m => m["data"]!["version"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        Assert.Equal(2, messages.Count);
        Assert.NotNull(messages[0]["notification"]!["image"]);
        Assert.Null(messages[1]["notification"]!["image"]);
        Assert.Null(messages[1]["data"]!["imageUrl"]);
    }

    [Fact]
    public async Task Update_WithAnotherPhoto_SendsTheNewPicture_AndWithoutOneKeepsTheCurrent()
    {
        var first = await UploadDronePhotoAsync(TestPhotos.Jpeg(640, 480, seed: 11));
        var second = await UploadDronePhotoAsync(TestPhotos.Jpeg(480, 640, seed: 12));
        using var client = _hub.CreateClient();
        var token = _fcm.EndpointFor("res-update").Address!;
        await Api.RegisterAsync(client, Lat, Lon, endpoints: [new { channel = "fcm", address = token }]);
        using var admin = _hub.Admin();
        var id = (await Api.IssueAsync(admin, AlertWithImage("drone-photo", first)))["id"]!.GetValue<string>();
        var v1 = (await Api.WaitForDeliveryAsync(admin, id, a => Delivered(a) == 1, TimeSpan.FromSeconds(20)))["imageUrl"]!.GetValue<string>();

        var update = await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new { image = new { source = "drone-photo", id = second } });
        Assert.Equal(HttpStatusCode.Accepted, update.StatusCode);
        var v2 = (await Api.WaitForDeliveryAsync(admin, id, a => Delivered(a) == 2, TimeSpan.FromSeconds(20)))["imageUrl"]!.GetValue<string>();
        var keep = await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new { severity = "Extreme" });
        Assert.Equal(HttpStatusCode.Accepted, keep.StatusCode);
        var v3 = (await Api.WaitForDeliveryAsync(admin, id, a => Delivered(a) == 3, TimeSpan.FromSeconds(20)))["imageUrl"]!.GetValue<string>();

        Assert.NotEqual(v1, v2);
        Assert.Equal(v2, v3);
        var images = _fcm.AcceptedFor(token).Select(m => m.Message!).OrderBy(m => m["data"]!["version"]!.GetValue<string>(), StringComparer.Ordinal)
            .Select(m => m["notification"]!["image"]!.GetValue<string>()).ToList();
        Assert.Equal([v1, v2, v3], images);
        // Portrait source: the copy keeps the aspect ratio within 1280 px (here the original 480×640 is not enlarged).
        using var anonymous = _hub.CreateClient();
        Assert.Equal((480, 640), JpegImages.Dimensions(await anonymous.GetByteArrayAsync(new Uri(v2).AbsolutePath)));
    }

    private static long Delivered(JsonNode alert) => alert["delivery"]!["total"]!["delivered"]!.GetValue<long>();

    [Fact]
    public async Task Alert_WithUnknownImage_IsRefusedAndNothingIssued()
    {
        using var client = _hub.CreateClient();
        var token = _fcm.EndpointFor("res-refused").Address!;
        await Api.RegisterAsync(client, Lat, Lon, endpoints: [new { channel = "fcm", address = token }]);
        using var admin = _hub.Admin();

        await (await admin.PostAsJsonAsync("/api/alerts", AlertWithImage("drone-photo", "0123456789abcdef0123456789abcdef")))
            .AssertProblemAsync(422, "alerts.image_not_found");
        await (await admin.PostAsJsonAsync("/api/alerts", AlertWithImage("drone-photo", "../../alerthub.db")))
            .AssertProblemAsync(422, "alerts.image_not_found");
        var unknownSource = await (await admin.PostAsJsonAsync("/api/alerts", AlertWithImage("instagram", "x"))).AssertProblemAsync(400, "alerts.image_source_unknown");
        Assert.Contains("drone-photo", unknownSource["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await (await admin.PostAsJsonAsync("/api/alerts", AlertWithImage("drone-photo", ""))).AssertProblemAsync(400, "alerts.image_invalid");

        Assert.Empty((await (await admin.GetAsync("/api/alerts")).JsonAsync()).AsArray());
        var imagesFolder = Path.Combine(_hub.DataDirectory, "alert-images");
        Assert.True(!System.IO.Directory.Exists(imagesFolder) || System.IO.Directory.GetFiles(imagesFolder).Length == 0);
        await Task.Delay(300);
        Assert.Equal(0, _fcm.AcceptedCount);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/media/alert-images/0123456789abcdef0123456789abcdef.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/media/alert-images/..%2Falerthub.db")).StatusCode);
    }

    private static object AlertWithImage(string source, string id) => new
    {
        status = "Exercise",
        msgType = "Alert",
        @event = "土砂災害",
        severity = "Severe",
        urgency = "Immediate",
        certainty = "Observed",
        area = new { circles = new[] { new { lat = Lat, lon = Lon, radiusMeters = 1000 } } },
        image = new { source, id },
        texts = new Dictionary<string, object>
        {
            ["ja"] = new { headline = "土砂崩れ発生", body = "横手川左岸で土砂崩れが発生しました。", instruction = "近づかないでください。" },
        },
    };

    private async Task<string> UploadDronePhotoAsync(byte[] jpeg)
    {
        using var ingest = _hub.WithKey(await _hub.CreateKeyAsync("ingest"));
        var file = new ByteArrayContent(jpeg);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var form = new MultipartFormDataContent { { file, "photo", "DJI_0001.JPG" } };
        var response = await ingest.PostAsync("/api/drone-photos", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync())["properties"]!["id"]!.GetValue<string>();
    }
}
