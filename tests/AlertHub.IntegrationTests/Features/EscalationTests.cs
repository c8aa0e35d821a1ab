using System.Net.Http.Headers;
using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features;

public sealed class EscalationTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new();
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _hub.Dispose();
    }

    [Fact]
    public async Task Escalation_FirstChannelNow_NextAfterStep_AckStopsTheRest()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        const string secret = "escalation-secret-01";
        var acker = await Api.RegisterAsync(client, 39.30, 140.55, [],
            [new { channel = "webhook", address = _receiver.Url("acker", secret), secret }, new { channel = "signalr" }]);
        var silent = await Api.RegisterAsync(client, 39.30, 140.55, [],
            [new { channel = "webhook", address = _receiver.Url("silent", secret), secret }, new { channel = "signalr" }]);
        var ackerMessages = new List<JsonElementMessage>();
        var silentMessages = new List<JsonElementMessage>();
        await using var ackerApp = await _hub.ConnectResidentAsync(acker, ackerMessages);
        await using var silentApp = await _hub.ConnectResidentAsync(silent, silentMessages);

        var alert = new
        {
            status = "Exercise", @event = "土砂災害", severity = "Severe", urgency = "Immediate", certainty = "Likely",
            area = new { circles = new[] { new { lat = 39.30, lon = 140.55, radiusMeters = 200 } } },
            escalation = new { channels = new[] { "webhook", "signalr" }, stepMinutes = 0.05 },
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "土砂災害警戒", body = "斜面から離れてください。" } },
        };
        var issued = await Api.IssueAsync(admin, alert);
        var id = issued["id"]!.GetValue<string>();
        Assert.Equal(2, issued["recipients"]!.GetValue<int>());
        Assert.Equal(2, issued["byChannel"]!["webhook"]!.GetValue<int>());
        Assert.Equal(2, issued["byChannel"]!["signalr"]!.GetValue<int>());

        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(5));
        // The receiver can see a webhook before the hub has recorded it: wait until the outbox says delivered,
        // so the acknowledgement below finds only the SignalR step still waiting.
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["webhook"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(5));
        Assert.Empty(ackerMessages);
        Assert.Empty(silentMessages);

        using var residentClient = _hub.CreateClient();
        residentClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", acker.Token);
        var ack = await (await residentClient.PostAsJsonAsync($"/api/alerts/{id}/ack", new { residentId = acker.Id, via = "app" })).JsonAsync();
        Assert.Equal(1, ack["stoppedDeliveries"]!.GetValue<int>());

        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["signalr"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(15));
        await Task.Delay(500);
        Assert.Single(silentMessages);
        Assert.Empty(ackerMessages);
        var summary = await (await admin.GetAsync($"/api/alerts/{id}")).JsonAsync();
        Assert.Equal(1, summary["delivery"]!["byChannel"]!["signalr"]!["acknowledged"]!.GetValue<long>());
        Assert.Equal(1, summary["delivery"]!["acks"]!.GetValue<long>());

        using var stranger = _hub.CreateClient();
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "nope");
        await (await stranger.PostAsJsonAsync($"/api/alerts/{id}/ack", new { residentId = silent.Id })).AssertProblemAsync(401, "auth.invalid_resident_token");
    }

    [Fact]
    public async Task Escalation_WithDuplicateChannels_Returns400()
    {
        using var admin = _hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/alerts", new
        {
            status = "Exercise", @event = "洪水",
            area = new { circles = new[] { new { lat = 39.30, lon = 140.55, radiusMeters = 200 } } },
            escalation = new { channels = new[] { "webhook", "webhook" } },
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "h" } },
        });
        await response.AssertProblemAsync(400, "alerts.invalid");
    }

    [Fact]
    public async Task ResidentWithTwoEndpointsOnOneChannel_GetsOneMessageOnThatChannel()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        const string secret = "two-endpoints-secret";
        await Api.RegisterAsync(client, 39.30, 140.55, [],
            [new { channel = "webhook", address = _receiver.Url("old", secret), secret }, new { channel = "webhook", address = _receiver.Url("new", secret), secret }]);
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.30, lon = 140.55, radiusMeters = 200 } } }));
        Assert.Equal(1, issued["byChannel"]!["webhook"]!.GetValue<int>());
        await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(), a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(10));
        await Task.Delay(300);
        var only = Assert.Single(_receiver.Received);
        Assert.Equal("new", only.Path);
    }

}
