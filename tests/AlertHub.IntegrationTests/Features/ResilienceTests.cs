using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features;

public sealed class ResilienceTests
{
    [Fact]
    public async Task ProviderDown_BreakerOpensOtherChannelsFlow_ThenClosesAndEveryoneGetsExactlyOne()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(settings: new()
        {
            ["Channels:Webhook:MaxBatchSize"] = "4",
            ["Delivery:BreakerMinimumThroughput"] = "2",
            ["Delivery:BreakerSamplingDuration"] = "00:00:10",
            ["Delivery:BreakerBreakDuration"] = "00:00:02",
            ["Delivery:MaxAttempts"] = "50",
        });
        await hub.WaitReadyAsync();
        using var client = hub.CreateClient();
        using var admin = hub.Admin();
        const string secret = "resilience-secret-001";
        for (var i = 0; i < 12; i++)
        {
            receiver.StatusByPath[$"r{i}"] = 503;
            await Api.RegisterAsync(client, 39.3, 140.55, [], [new { channel = "webhook", address = receiver.Url($"r{i}", secret), secret }]);
        }

        var app = await Api.RegisterAsync(client, 39.3, 140.55);
        var appMessages = 0;
        await using var connection = hub.SignalR();
        connection.On<JsonElementMessage>("alert", _ => Interlocked.Increment(ref appMessages));
        await connection.StartAsync();
        await connection.InvokeAsync<bool>("Subscribe", app.Id.ToString(), app.Token);

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 200 } } }));
        var id = issued["id"]!.GetValue<string>();

        var sawOpen = false;
        for (var i = 0; i < 100 && !sawOpen; i++)
        {
            var channels = (await (await admin.GetAsync("/api/channels")).JsonAsync()).AsArray();
            var webhook = channels.Single(c => c!["name"]!.GetValue<string>() == "webhook")!;
            sawOpen = webhook["circuit"]!.GetValue<string>() == "Open" && !webhook["healthy"]!.GetValue<bool>();
            await Task.Delay(100);
        }

        Assert.True(sawOpen, "the webhook circuit should open while every request answers 503");
        Assert.Equal(1, Volatile.Read(ref appMessages));

        foreach (var path in receiver.StatusByPath.Keys)
        {
            receiver.StatusByPath[path] = 200;
        }

        var summary = await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["webhook"]!["delivered"]!.GetValue<long>() == 12, TimeSpan.FromSeconds(60));
        Assert.Equal(0, summary["delivery"]!["byChannel"]!["webhook"]!["queued"]!.GetValue<long>());
        var accepted = receiver.Received.Where(r => r.Status == 200).ToList();
        Assert.Equal(12, accepted.Count);
        Assert.Equal(12, accepted.Select(r => r.Path).Distinct().Count());
        Assert.True(receiver.Received.Count > 12, "the provider should have seen retries while it was down");
        Assert.All(receiver.Received.GroupBy(r => r.Path), g => Assert.Single(g.Select(r => r.DeliveryId).Distinct()));

        var stats = (await (await admin.GetAsync("/api/channels")).JsonAsync()).AsArray().Single(c => c!["name"]!.GetValue<string>() == "webhook")!;
        Assert.Equal("Closed", stats["circuit"]!.GetValue<string>());
        Assert.True(stats["last24h"]!["retried"]!.GetValue<long>() > 0);
    }
}
