using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Residents;

/// <summary>
/// What the resident page is told by the hub: which channels it may offer (only those the hub runs and residents sign up
/// for themselves) and, in the inbox, which alerts the resident already acknowledged.
/// </summary>
public sealed class ResidentPageSupportTests
{
    private static async Task<JsonArray> OffersAsync(HubFactory hub)
    {
        using var anonymous = hub.CreateClient();
        return (await (await anonymous.GetAsync("/api/dashboard/config")).JsonAsync())["channels"]!.AsArray();
    }

    [Fact]
    public async Task Config_OnADefaultHub_OffersThisPageOnly_NeverTheWebhookOrCapFeed()
    {
        using var hub = new HubFactory(settings: new() { ["Dashboard:LineFriendUrl"] = "https://line.me/R/ti/p/@yokote-test" });

        var offers = await OffersAsync(hub);

        var page = Assert.Single(offers)!;
        Assert.Equal("signalr", page["name"]!.GetValue<string>());
        Assert.Equal("page", page["signup"]!.GetValue<string>());
    }

    [Fact]
    public async Task Config_WithEmailAndWebPushOn_OffersThemWithHowResidentsSignUp()
    {
        using var hub = new HubFactory(settings: new()
        {
            ["Channels:Email:Enabled"] = "true",
            ["Channels:Email:Host"] = "127.0.0.1",
            ["Channels:Email:Port"] = "2",
            ["Channels:Email:Security"] = "None",
            ["Channels:Email:FromAddress"] = "anzen@city.yokote.test",
            ["Channels:WebPush:Enabled"] = "true",
        });

        var offers = await OffersAsync(hub);

        Assert.Equal(["signalr", "webpush", "email"], offers.Select(o => o!["name"]!.GetValue<string>()));
        var email = offers.Single(o => o!["name"]!.GetValue<string>() == "email")!;
        Assert.Equal("address", email["signup"]!.GetValue<string>());
        Assert.Equal("email", email["addressType"]!.GetValue<string>());
        Assert.True(email["confirms"]!.GetValue<bool>());
        Assert.Equal("browser", offers.Single(o => o!["name"]!.GetValue<string>() == "webpush")!["signup"]!.GetValue<string>());
    }

    [Fact]
    public async Task Inbox_AfterTheResidentAcknowledges_SaysWhen_ForThatResidentOnly()
    {
        using var hub = new HubFactory();
        using var admin = hub.Admin();
        using var client = hub.CreateClient();
        var acker = await Api.RegisterAsync(client, 39.30, 140.55);
        var other = await Api.RegisterAsync(client, 39.30, 140.55);
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.30, lon = 140.55, radiusMeters = 500 } } }));
        var alertId = issued["id"]!.GetValue<string>();

        using var ack = new HttpRequestMessage(HttpMethod.Post, $"/api/alerts/{alertId}/ack") { Content = JsonContent.Create(new { residentId = acker.Id, via = "web" }) };
        ack.Headers.Authorization = new("Bearer", acker.Token);
        (await client.SendAsync(ack)).EnsureSuccessStatusCode();

        var ackedItem = Assert.Single(await InboxAsync(client, acker))!;
        var otherItem = Assert.Single(await InboxAsync(client, other))!;
        Assert.True(DateTimeOffset.TryParse(ackedItem["acknowledgedAt"]?.GetValue<string>(), out var at), ackedItem.ToJsonString());
        Assert.InRange(at, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Null(otherItem["acknowledgedAt"]);
    }

    private static async Task<JsonArray> InboxAsync(HttpClient client, Registered resident)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/residents/{resident.Id}/inbox");
        request.Headers.Authorization = new("Bearer", resident.Token);
        return (await (await client.SendAsync(request)).JsonAsync()).AsArray();
    }
}
