using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Channels.Loudspeaker;

public sealed class LoudspeakerChannelTests : IAsyncLifetime
{
    private const string Secret = "radio-gateway-secret-0001";
    private WebhookReceiver _gateway = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _gateway = await WebhookReceiver.StartAsync();
        _hub = new HubFactory(settings: new()
        {
            ["Channels:Loudspeaker:Enabled"] = "true",
            ["Channels:Loudspeaker:Gateways:0:Name"] = "musen-yokote",
            ["Channels:Loudspeaker:Gateways:0:Url"] = _gateway.Url("radio", Secret),
            ["Channels:Loudspeaker:Gateways:0:Secret"] = Secret,
        });
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task Drill_ReachesGatewayOnceAsSignedRepeatedScript_CancelIsAnnounced()
    {
        using var admin = _hub.Admin();
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 500 } } }));
        var id = issued["id"]!.GetValue<string>();
        Assert.Equal(1, issued["byChannel"]!["loudspeaker"]!.GetValue<int>());
        await _gateway.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));
        var received = Assert.Single(_gateway.Received);
        Assert.True(received.SignatureValid);
        var script = received.Json["script"]!.GetValue<string>();
        Assert.StartsWith("こちらは、防災横手です。訓練、訓練。横手川 氾濫危険。", script, StringComparison.Ordinal);
        Assert.Contains("繰り返します。訓練、訓練。横手川 氾濫危険。", script, StringComparison.Ordinal);
        Assert.EndsWith("以上、防災横手でした。", script, StringComparison.Ordinal);
        Assert.DoesNotContain("【", script, StringComparison.Ordinal);
        Assert.Equal(2, received.Json["repeat"]!.GetValue<int>());

        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["loudspeaker"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(10));
        await admin.PostAsync($"/api/alerts/{id}/cancel", null);
        await _gateway.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));
        var cancel = _gateway.Received.Last();
        Assert.Contains("先ほどの放送を取り消します。", cancel.Json["script"]!.GetValue<string>(), StringComparison.Ordinal);

        var kpi = await (await admin.GetAsync("/api/kpi/push-channels")).JsonAsync();
        Assert.Contains(kpi["channels"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "loudspeaker" && c["deliveredInWindow"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ResidentEndpoint_OnLoudspeaker_IsRefused()
    {
        using var client = _hub.CreateClient();
        var response = await client.PostAsJsonAsync("/api/residents", new { endpoints = new[] { new { channel = "loudspeaker", address = "x" } } });
        await response.AssertProblemAsync(400, "residents.channel_unknown");
    }
}
