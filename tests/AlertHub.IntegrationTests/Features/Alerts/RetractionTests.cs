using System.Text;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Alerts;

/// <summary>
/// A retraction (cancel, all-clear) or an update issued while the first version is still going out through a slow
/// receiver: everyone who got the first version gets the newer one, after it; nobody else gets a retraction; the
/// first version's unsent work is not sent any more; and each version's counts add up.
/// </summary>
public sealed class RetractionTests
{
    private const int Residents = 900;
    private const int Concurrency = 64;

    [Theory]
    [InlineData("cancel", "Cancel")]
    [InlineData("all-clear", "Update")]
    public async Task Retraction_WhileTheAlertIsStillBeingSent_ReachesEveryoneWhoGotItAndNobodyElse(string action, string msgType)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(200);
        using var hub = new HubFactory(settings: new() { ["Channels:Webhook:MaxConcurrency"] = $"{Concurrency}" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await ImportWebhookResidentsAsync(admin, receiver);
        var alertId = (await Api.IssueAsync(admin, Alert()))["id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => r.Count >= Residents / 3, TimeSpan.FromSeconds(60));

        var beforeRetraction = receiver.Received.Count;
        var response = await admin.PostAsync($"/api/alerts/{alertId}/{action}", null);
        var acceptedAt = DateTimeOffset.UtcNow;
        Assert.Equal(202, (int)response.StatusCode);
        var summary = await WaitUntilSettledAsync(admin, alertId);

        var received = receiver.Received.ToList();
        var first = received.Where(r => r.Json["alert"]!["version"]!.GetValue<int>() == 1).ToList();
        var retraction = received.Where(r => r.Json["alert"]!["version"]!.GetValue<int>() == 2).ToList();
        Assert.True(first.Count < Residents, $"the first version reached everyone ({first.Count}) before the {action}; slow the receiver down");
        Assert.All(retraction, r => Assert.Equal(msgType, r.Json["alert"]!["msgType"]!.GetValue<string>()));
        Assert.Equal(first.Select(r => r.Path).Order(), retraction.Select(r => r.Path).Order());
        Assert.Equal(retraction.Count, retraction.Select(r => r.Path).Distinct().Count());
        foreach (var r in retraction)
        {
            var original = first.Single(f => f.Path == r.Path);
            Assert.True(original.At <= r.StartedAt, $"{r.Path}: the {action} arrived before the alert it follows");
        }

        // Only what was in flight when the retraction came may still arrive; the rest of the first version is not sent.
        var sentAfter = first.Count - beforeRetraction;
        Assert.True(sentAfter <= 2 * Concurrency, $"{sentAfter} first-version messages after the {action} was requested (in flight: ≤ {Concurrency})");
        Assert.DoesNotContain(first, r => r.StartedAt > acceptedAt.AddSeconds(1));
        AssertCountsAddUp(summary);
        var v1 = Version(summary, 1);
        Assert.Equal(Residents, v1["targeted"]!.GetValue<long>());
        Assert.Equal(first.Count, v1["delivered"]!.GetValue<long>());
        Assert.Equal(Residents - first.Count, v1["superseded"]!.GetValue<long>());
        Assert.Equal(first.Count, Version(summary, 2)["delivered"]!.GetValue<long>());
    }

    [Fact]
    public async Task Update_WhileTheAlertIsStillBeingSent_FollowsEveryoneWhoGotTheFirstVersionAndReachesTheRest()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(200);
        using var hub = new HubFactory(settings: new() { ["Channels:Webhook:MaxConcurrency"] = $"{Concurrency}" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await ImportWebhookResidentsAsync(admin, receiver);
        var alertId = (await Api.IssueAsync(admin, Alert()))["id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => r.Count >= Residents / 3, TimeSpan.FromSeconds(60));

        var response = await admin.PostAsync($"/api/alerts/{alertId}/update", System.Net.Http.Json.JsonContent.Create(new { severity = "Extreme" }));
        Assert.Equal(202, (int)response.StatusCode);
        var summary = await WaitUntilSettledAsync(admin, alertId);

        var received = receiver.Received.ToList();
        var first = received.Where(r => r.Json["alert"]!["version"]!.GetValue<int>() == 1).ToList();
        var update = received.Where(r => r.Json["alert"]!["version"]!.GetValue<int>() == 2).ToList();
        Assert.True(first.Count < Residents);
        Assert.Equal(Residents, update.Select(r => r.Path).Distinct().Count());
        Assert.Equal(Residents, update.Count);
        foreach (var f in first)
        {
            Assert.True(f.At <= update.Single(u => u.Path == f.Path).StartedAt, $"{f.Path}: the update arrived before the alert it updates");
        }

        AssertCountsAddUp(summary);
    }

    [Fact]
    public async Task Cancel_AfterAFirstAttemptThatMayHaveArrived_StillFollowsIt()
    {
        // The receiver answers 503 to half the residents: the message may well have been processed before the error
        // (a timeout, a proxy in between), so a retraction must go to them as well once their address works again.
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(settings: new() { ["Delivery:RetryBaseDelay"] = "00:00:30" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await ImportWebhookResidentsAsync(admin, receiver, count: 20);
        for (var i = 0; i < 10; i++)
        {
            receiver.StatusByPath[$"r{i}"] = 503;
        }

        var alertId = (await Api.IssueAsync(admin, Alert()))["id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => r.Count >= 20, TimeSpan.FromSeconds(30));
        receiver.StatusByPath.Clear();

        Assert.Equal(202, (int)(await admin.PostAsync($"/api/alerts/{alertId}/cancel", null)).StatusCode);
        var summary = await WaitUntilSettledAsync(admin, alertId);

        var cancels = receiver.Received.Where(r => r.Json["alert"]!["msgType"]!.GetValue<string>() == "Cancel").Select(r => r.Path).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"r{i}").Order(), cancels);
        Assert.Equal(10, Version(summary, 1)["superseded"]!.GetValue<long>());
        AssertCountsAddUp(summary);
    }

    private static object Alert() => Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } });

    private static async Task ImportWebhookResidentsAsync(HttpClient admin, WebhookReceiver receiver, int count = Residents)
    {
        var ndjson = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var secret = $"retraction-secret-{i:D6}";
            ndjson.Append("{\"places\":[{\"lat\":39.3,\"lon\":140.55}],\"endpoints\":[{\"channel\":\"webhook\",\"address\":\"")
                .Append(receiver.Url($"r{i}", secret)).Append("\",\"secret\":\"").Append(secret).Append("\"}]}\n");
        }

        var import = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
        Assert.Equal(count, import["accepted"]!.GetValue<int>());
    }

    /// <summary>Waits until nothing of any version is pending or being sent.</summary>
    private static Task<JsonNode> WaitUntilSettledAsync(HttpClient admin, string alertId) =>
        Api.WaitForDeliveryAsync(admin, alertId, a => a["versions"]!.AsArray().Count == 2
            && a["delivery"]!["total"]!["queued"]!.GetValue<long>() == 0, TimeSpan.FromSeconds(90));

    private static JsonNode Version(JsonNode alert, int version) =>
        alert["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<int>() == version)!["delivery"]!;

    private static void AssertCountsAddUp(JsonNode alert)
    {
        foreach (var v in alert["versions"]!.AsArray())
        {
            var d = v!["delivery"]!;
            long N(string name) => d[name]!.GetValue<long>();
            Assert.Equal(N("targeted"), N("delivered") + N("pending") + N("failed") + N("superseded"));
            foreach (var (channel, c) in v["deliveryByChannel"]!.AsObject())
            {
                long C(string name) => c![name]!.GetValue<long>();
                Assert.True(C("targeted") == C("delivered") + C("pending") + C("failed") + C("superseded"), $"v{v["version"]} {channel}: {c}");
            }
        }
    }
}
