using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AlertHub.IntegrationTests.Features.Channels.Line;
using AlertHub.IntegrationTests.Features.DronePhotos;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.AlertImages;

/// <summary>LINE fetches pictures itself: an image message over HTTPS, a link in the text over plain HTTP.</summary>
public sealed class AlertImagesLineTests
{
    [Fact]
    public async Task Alert_WithDronePhoto_OverHttps_LineGetsTheTextAndAnImageMessage()
    {
        await using var h = await LineHarness.StartAsync(new() { ["Hub:PublicBaseUrl"] = "https://bousai.city.yokote.test" });
        var (_, user) = await h.RegisterAsync("photo-https");
        var photoId = await UploadAsync(h.Hub);

        var alert = await IssueAsync(h, photoId);

        var imageUrl = alert["imageUrl"]!.GetValue<string>();
        var deliveries = h.Fake.DeliveriesTo(user);
        Assert.Equal(["text", "image"], deliveries.Select(d => d.Type));
        var image = deliveries[1].Message;
        Assert.Equal(imageUrl, image.GetProperty("originalContentUrl").GetString());
        Assert.Equal(alert["current"]!["image"]!["smallUrl"]!.GetValue<string>(), image.GetProperty("previewImageUrl").GetString());
        Assert.DoesNotContain("写真:", deliveries[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alert_WithDronePhoto_OverPlainHttp_LineGetsALinkInTheTextOnly()
    {
        await using var h = await LineHarness.StartAsync(new() { ["Hub:PublicBaseUrl"] = "http://localhost:5080" });
        var (_, user) = await h.RegisterAsync("photo-http");
        var photoId = await UploadAsync(h.Hub);

        var alert = await IssueAsync(h, photoId);

        var delivery = Assert.Single(h.Fake.DeliveriesTo(user));
        Assert.Equal("text", delivery.Type);
        Assert.EndsWith("写真: " + alert["imageUrl"]!.GetValue<string>(), delivery.Text, StringComparison.Ordinal);
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> IssueAsync(LineHarness h, string photoId)
    {
        using var admin = h.Hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/alerts", new
        {
            status = "Exercise",
            @event = "土砂災害",
            severity = "Severe",
            urgency = "Immediate",
            area = LineHarness.Spot(),
            image = new { source = "drone-photo", id = photoId },
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "土砂崩れ発生", body = "横手川左岸で土砂崩れが発生しました。" } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync())["id"]!.GetValue<string>();
        await h.WaitLineAsync(id, l => l["delivered"]!.GetValue<long>() == 1);
        return await (await admin.GetAsync($"/api/alerts/{id}")).JsonAsync();
    }

    private static async Task<string> UploadAsync(HubFactory hub)
    {
        using var ingest = hub.WithKey(await hub.CreateKeyAsync("ingest"));
        var file = new ByteArrayContent(TestPhotos.Jpeg(800, 600, seed: 21));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var form = new MultipartFormDataContent { { file, "photo", "DJI_0002.JPG" } };
        var response = await ingest.PostAsync("/api/drone-photos", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync())["properties"]!["id"]!.GetValue<string>();
    }
}
