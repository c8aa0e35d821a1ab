using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Scenarios;
using AlertHub.MobileSim.Peers.Jma;

namespace AlertHub.IntegrationTests.Features.Feeds;

/// <summary>
/// The whole path: a fake JMA feed server on 127.0.0.1 publishes telegrams for Yokote, the hub's poller pulls
/// them, the rule fires, and residents' webhooks receive exactly what they should.
/// </summary>
public sealed class FeedEndToEndTests
{
    private static readonly DateTimeOffset T0 = new(2026, 7, 1, 6, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task PolledLandslideSeries_NotifiesOnce_ContinuedSilent_LiftedAllClears_UnsentCancelSilent()
    {
        await using var feed = new FakeJmaFeed();
        await feed.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var settings = new Dictionary<string, string?>(feed.HubSettings)
        {
            ["Feeds:Jma:Enabled"] = "true",
            ["Feeds:Jma:Interval"] = "00:00:00.200",
        };
        using var hub = new HubFactory(settings: settings);
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await Api.AddAreaAsync(admin, "横手市", Api.Square(39.31, 140.55, 0.1), "district", "0520300");
        using var client = hub.CreateClient();
        const string secret = "feed-e2e-webhook-secret";
        await Api.RegisterAsync(client, 39.31, 140.55, [], [new { channel = "webhook", address = receiver.Url("inside", secret), secret }]);
        await Api.RegisterAsync(client, 38.90, 140.30, [], [new { channel = "webhook", address = receiver.Url("outside", secret), secret }]);
        var put = await admin.PutAsJsonAsync("/api/rules", new object[]
        {
            new
            {
                name = "landslide-yokote", families = new[] { "JMA:VXWW50" }, minSeverity = "Severe", municipalities = new[] { "05203" }, @event = "土砂災害",
                templates = new Dictionary<string, object>
                {
                    ["ja"] = new { headline = "土砂災害警戒情報（{area}）", body = "{headline}" },
                    ["ja-x-easy"] = new { headline = "どしゃさいがい に きをつけて", body = "がけ から はなれて ください。" },
                    ["en"] = new { headline = "Landslide alert ({area})", body = "Move away from slopes." },
                },
            },
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        feed.Publish("VXWW50", JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued), T0);
        await receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(15));
        Assert.Equal("inside", Assert.Single(receiver.Received).Path);

        feed.Publish("VXWW50", JmaTelegrams.Landslide(T0.AddHours(1), "発表", 2, "通常", JmaTelegrams.YokoteContinued), T0.AddHours(1));
        await WaitForEventsAsync(admin, 2);
        feed.Publish("VXWW50", JmaTelegrams.Landslide(T0.AddHours(2), "発表", 3, "通常", JmaTelegrams.YokoteLifted), T0.AddHours(2));
        await receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(15));
        // Worded as the board's 解除 button words it: the headline residents saw, marked once.
        var lifted = receiver.Received.Last().Json["alert"]!;
        Assert.Equal("【解除】" + receiver.Received.First().Json["alert"]!["headline"]!.GetValue<string>(), lifted["headline"]!.GetValue<string>());
        Assert.Contains("解除されました", lifted["body"]!.GetValue<string>(), StringComparison.Ordinal);

        // Another series (a different office) that was never notified: its 取消 must send nothing.
        var otherCancel = JmaTelegrams.Landslide(T0.AddHours(3), "取消", 1, "通常");
        feed.Publish("VXWW50", System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(otherCancel).Replace("秋田地方気象台</EditorialOffice>", "仙台管区気象台</EditorialOffice>", StringComparison.Ordinal)), T0.AddHours(3));
        var events = await WaitForEventsAsync(admin, 4);
        Assert.Contains(events, e => e!["lifecycle"]!.GetValue<string>() == "Cancel" && e["outcome"]!.GetValue<string>().Contains("nothing sent", StringComparison.Ordinal));
        Assert.Contains(events, e => e!["outcome"]?.GetValue<string>()?.Contains("unchanged", StringComparison.Ordinal) == true);
        await Task.Delay(500);
        Assert.Equal(2, receiver.Received.Count);
        Assert.DoesNotContain(receiver.Received, r => r.Path == "outside");
        Assert.All(feed.Telegrams, t => Assert.Equal(1, feed.RequestCount(t.Url)));
    }

    private static async Task<System.Text.Json.Nodes.JsonArray> WaitForEventsAsync(HttpClient admin, int count)
    {
        for (var i = 0; i < 150; i++)
        {
            var events = (await (await admin.GetAsync("/api/events")).JsonAsync()).AsArray();
            if (events.Count >= count)
            {
                return events;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"fewer than {count} events arrived");
        return [];
    }
}
