using System.Net;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Line;

namespace AlertHub.IntegrationTests.Features.Channels.Line;

public sealed class LineAckTests
{
    [Fact]
    public async Task LinePostbackAck_StopsTheEscalationToTheNextChannel()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await LineHarness.StartAsync(new() { ["Channels:Line:MessageFormat"] = "Flex" });
        const string secret = "line-ack-webhook-secret";
        var user = h.Fake.EndpointFor("acker").Address!;
        using var client = h.Hub.CreateClient();
        await Api.RegisterAsync(client, LineHarness.Lat, LineHarness.Lon, [],
            [new { channel = "line", address = user }, new { channel = "webhook", address = receiver.Url("acker", secret), secret }]);

        using var admin = h.Hub.Admin();
        var issued = await Api.IssueAsync(admin, new
        {
            status = "Exercise", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
            area = new { circles = new[] { new { lat = LineHarness.Lat, lon = LineHarness.Lon, radiusMeters = 200 } } },
            escalation = new { channels = new[] { "line", "webhook" }, stepMinutes = 0.05 },
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "避難指示", body = "直ちに避難してください。" } },
        });
        var id = issued["id"]!.GetValue<string>();
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["line"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(10));
        var flex = h.Fake.DeliveriesTo(user).Single().Message.GetRawText();
        Assert.Contains($"\"data\":\"ack={id}\"", flex, StringComparison.Ordinal);

        var response = await h.Fake.PostbackAsync(user, $"ack={id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var summary = await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["acks"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(5));
        Assert.Equal(1, summary["delivery"]!["byChannel"]!["webhook"]!["acknowledged"]!.GetValue<long>());
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Empty(receiver.Received);
    }
}
