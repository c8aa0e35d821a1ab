using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Line;

namespace AlertHub.IntegrationTests.Features.Channels.Line;

public sealed class LineDeliveryTests
{
    private static long Delivered(JsonNode line) => line["delivered"]!.GetValue<long>();

    [Fact]
    public async Task IssueAlert_ToLineResidents_OneMulticastDeliversExactlyTheTargetedOnes()
    {
        await using var h = await LineHarness.StartAsync();
        var (a, userA) = await h.RegisterAsync("a");
        var (_, userB) = await h.RegisterAsync("b");
        var (_, userOutside) = await h.RegisterAsync("outside", lat: 39.40, lon: 140.70);

        var id = await h.IssueAsync();
        var line = await h.WaitLineAsync(id, l => Delivered(l) == 2);

        Assert.Equal(0, line["failed"]!.GetValue<long>());
        var request = Assert.Single(h.Fake.Requests, r => r.Endpoint == FakeLine.MulticastEndpoint);
        Assert.Equal(200, request.Status);
        Assert.Equal(2, request.Recipients);
        Assert.True(Guid.TryParseExact(request.RetryKey, "D", out _), request.RetryKey);
        Assert.Equal(new[] { userA, userB }.Order(StringComparer.Ordinal), h.Fake.Deliveries.Select(d => d.UserId).Order(StringComparer.Ordinal));
        Assert.Empty(h.Fake.DeliveriesTo(userOutside));
        var delivery = h.Fake.DeliveriesTo(userA).Single();
        Assert.Equal("text", delivery.Type);
        Assert.StartsWith("【訓練】横手川 氾濫危険\n\nこれは訓練です。", delivery.Text, StringComparison.Ordinal);
        Assert.Equal(id, delivery.AlertId);
        Assert.Equal(1, delivery.Version);
        Assert.Equal(["a", "b"], h.Log.Snapshot().Select(r => r.ExternalId).Order());
        Assert.All(h.Log.Snapshot(), r => Assert.Equal(id, r.AlertId));
        Assert.NotEqual(Guid.Empty, a.Id);
    }

    [Fact]
    public async Task IssueAlert_To1201Residents_SplitsIntoMulticastsOf500()
    {
        await using var h = await LineHarness.StartAsync();
        var users = await h.ImportAsync(1201);

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 1201, seconds: 30);

        var sizes = h.Fake.Requests.Where(r => r.Endpoint == FakeLine.MulticastEndpoint && r.Status == 200).Select(r => r.Recipients).Order().ToList();
        Assert.Equal([201, 500, 500], sizes);
        Assert.Equal(users.Order(StringComparer.Ordinal), h.Fake.Deliveries.Select(d => d.UserId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task IssueAlert_ResidentsInTwoLanguages_OneMulticastPerLanguage()
    {
        await using var h = await LineHarness.StartAsync();
        var (_, ja) = await h.RegisterAsync("ja");
        var (_, en) = await h.RegisterAsync("en", language: "en");

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 2);

        Assert.Equal(2, h.Fake.Requests.Count(r => r.Endpoint == FakeLine.MulticastEndpoint));
        Assert.StartsWith("【訓練】", h.Fake.DeliveriesTo(ja).Single().Text, StringComparison.Ordinal);
        Assert.StartsWith("[EXERCISE] Yokote River flood danger", h.Fake.DeliveriesTo(en).Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IssueAlert_FlexFormat_SendsABubbleWithinLimits()
    {
        await using var h = await LineHarness.StartAsync(new() { ["Channels:Line:MessageFormat"] = "Flex" });
        var (_, user) = await h.RegisterAsync("flex");

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 1);

        var delivery = h.Fake.DeliveriesTo(user).Single();
        Assert.Equal("flex", delivery.Type);
        Assert.True(delivery.Text.Length <= 400);
        Assert.Equal("bubble", delivery.Message.GetProperty("contents").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Retry_AfterAcceptedRequestLostItsResponse_Gets409AndNeverDuplicates()
    {
        await using var h = await LineHarness.StartAsync();
        var (_, a) = await h.RegisterAsync("a");
        var (_, b) = await h.RegisterAsync("b");
        h.Fake.Fail(500, afterAccept: true);

        var id = await h.IssueAsync();
        var line = await h.WaitLineAsync(id, l => Delivered(l) == 2);

        // The outbox may hand the two items back separately (retry jitter); each goes out as the original request.
        var requests = h.Fake.Requests.Where(r => r.Endpoint == FakeLine.MulticastEndpoint).ToList();
        Assert.Equal(500, requests[0].Status);
        Assert.InRange(requests.Count, 2, 3);
        Assert.All(requests.Skip(1), r => Assert.Equal((409, requests[0].RetryKey), (r.Status, r.RetryKey)));
        Assert.Single(h.Fake.DeliveriesTo(a));
        Assert.Single(h.Fake.DeliveriesTo(b));
        Assert.Equal(2, h.Log.Count);
        Assert.Equal(0, line["failed"]!.GetValue<long>());
    }

    [Fact]
    public async Task Send_429_IsThrottledForTheConfiguredBackoffThenDelivered()
    {
        await using var h = await LineHarness.StartAsync(new() { ["Channels:Line:ThrottleBackoff"] = "00:00:02" });
        var (_, user) = await h.RegisterAsync("a");
        h.Fake.Fail(429);

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 1);

        var requests = h.Fake.Requests.Where(r => r.Endpoint == FakeLine.MulticastEndpoint).ToList();
        Assert.Equal([429, 200], requests.Select(r => r.Status));
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(1.9), $"retried after {requests[1].At - requests[0].At}");
        Assert.Single(h.Fake.DeliveriesTo(user));
    }

    [Fact]
    public async Task Send_RateLimitedByTheFakesTokenBucket_AllStillDeliveredOnce()
    {
        await using var h = await LineHarness.StartAsync(
            new() { ["Channels:Line:MulticastChunkSize"] = "1", ["Channels:Line:ThrottleBackoff"] = "00:00:00.500" },
            new FakeLineOptions { MulticastPerSecond = 3 });
        var users = await h.ImportAsync(6);

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 6, seconds: 30);

        Assert.Contains(h.Fake.Requests, r => r.Status == 429);
        Assert.All(users, u => Assert.Single(h.Fake.DeliveriesTo(u)));
    }

    [Fact]
    public async Task Send_503_IsRetriedAndDeliveredOnce()
    {
        await using var h = await LineHarness.StartAsync();
        var (_, user) = await h.RegisterAsync("a");
        h.Fake.Fail(503, times: 2);

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 1);

        Assert.Equal([503, 503, 200], h.Fake.Requests.Select(r => r.Status));
        Assert.Single(h.Fake.DeliveriesTo(user));
    }

    [Fact]
    public async Task Send_400_IsRejectedWithoutRetry()
    {
        await using var h = await LineHarness.StartAsync();
        await h.RegisterAsync("a");
        h.Fake.Fail(400, message: "The request body has 1 error(s)");

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => l["failed"]!.GetValue<long>() == 1);
        await Task.Delay(1000);

        Assert.Single(h.Fake.Requests);
        Assert.Empty(h.Fake.Deliveries);
    }

    [Fact]
    public async Task Send_WrongAccessToken_Is401AndTheChannelReportsTheProblem()
    {
        await using var h = await LineHarness.StartAsync(new() { ["Channels:Line:ChannelAccessToken"] = "revoked-token" });
        await h.RegisterAsync("a");

        await h.IssueAsync();
        await LineHarness.WaitUntilAsync(() => h.Fake.Requests.Count > 0);

        Assert.Equal(401, h.Fake.Requests[0].Status);
        Assert.Empty(h.Fake.Deliveries);
        using var admin = h.Hub.Admin();
        var channels = await (await admin.GetAsync("/api/channels")).JsonAsync();
        var line = channels.AsArray().Single(c => c!["name"]!.GetValue<string>() == "line")!;
        Assert.False(line["healthy"]!.GetValue<bool>());
        Assert.Contains("access token", line["problem"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushMode_UnknownUserId_IsPrunedAsGone()
    {
        await using var h = await LineHarness.StartAsync(new() { ["Channels:Line:Mode"] = "Push" });
        var (_, known) = await h.RegisterAsync("known");
        using var client = h.Hub.CreateClient();
        var stranger = "U" + new string('e', 32);
        var r = await Api.RegisterAsync(client, LineHarness.Lat, LineHarness.Lon, ["elderly"], [new { channel = "line", address = stranger }]);

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 1 && l["gone"]!.GetValue<long>() == 1);

        Assert.Equal(2, h.Fake.Requests.Count(x => x.Endpoint == FakeLine.PushEndpoint));
        Assert.Single(h.Fake.DeliveriesTo(known));
        client.DefaultRequestHeaders.Authorization = new("Bearer", r.Token);
        var view = await (await client.GetAsync($"/api/residents/{r.Id}")).JsonAsync();
        Assert.Equal("gone", view["endpoints"]![0]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task BroadcastMode_OneBroadcastForTheAlertVersionReachesEveryFriend()
    {
        await using var h = await LineHarness.StartAsync(new() { ["Channels:Line:Mode"] = "Broadcast" });
        await h.RegisterAsync("a");
        await h.RegisterAsync("b", language: "en");
        h.Fake.AddFriend("U" + new string('f', 32), "friend-not-registered");

        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => Delivered(l) == 2);

        var request = Assert.Single(h.Fake.Requests);
        Assert.Equal(FakeLine.BroadcastEndpoint, request.Endpoint);
        Assert.Equal(3, h.Fake.Deliveries.Count);
        Assert.All(h.Fake.Deliveries, d => Assert.StartsWith("【訓練】", d.Text, StringComparison.Ordinal));
    }
}
