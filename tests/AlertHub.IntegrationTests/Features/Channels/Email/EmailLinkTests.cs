using System.Net;
using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Smtp;
using AlertHub.MobileSim.Report;
using MimeKit;

namespace AlertHub.IntegrationTests.Features.Channels.Email;

public sealed partial class EmailLinkTests
{
    [Fact]
    public async Task EmailLinks_WrongOrForgedTokens_AreProblemDetailsWithStableCodes()
    {
        await using var sink = new SmtpSink(new ReceiptLog(), TimeProvider.System);
        await sink.StartAsync();
        using var hub = new HubFactory(settings: new Dictionary<string, string?>(sink.HubSettings)
        {
            ["Channels:Email:RequireConfirmation"] = "true",
            ["Hub:PublicBaseUrl"] = "https://bousai.city.yokote.test",
        });
        await hub.WaitReadyAsync();
        using var client = hub.CreateClient();
        var resident = await Api.RegisterAsync(client, 39.30, 140.55, endpoints: [new { channel = "email", address = "saburo@example.jp" }]);
        await sink.WaitForAsync(s => s.MessageCount == 1, TimeSpan.FromSeconds(10));
        var body = sink.Messages.Single().Parse().TextBody ?? "";
        var token = Uri.UnescapeDataString(System.Text.RegularExpressions.Regex.Match(body, @"confirm\?token=(\S+)").Groups[1].Value);
        var parts = token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}";
        var otherExpiry = $"{parts[0]}.{long.Parse(parts[1]) + 86400}.{parts[2]}";

        await (await client.GetAsync("/api/email/confirm?token=" + Uri.EscapeDataString(forged))).AssertProblemAsync(400, "email.token_invalid");
        await (await client.GetAsync("/api/email/confirm?token=" + Uri.EscapeDataString(otherExpiry))).AssertProblemAsync(400, "email.token_invalid");
        await (await client.GetAsync("/api/email/confirm?token=not-a-token")).AssertProblemAsync(400, "email.token_invalid");
        await (await client.GetAsync("/api/email/confirm")).AssertProblemAsync(400, "email.token_invalid");
        await (await client.GetAsync($"/api/email/confirm?token=987654.{parts[1]}.{parts[2]}")).AssertProblemAsync(404, "email.endpoint_not_found");
        // A confirmation token does not unsubscribe (purposes are signed apart).
        await (await client.PostAsync("/api/email/unsubscribe?token=" + Uri.EscapeDataString(token), null)).AssertProblemAsync(400, "email.token_invalid");
        await (await client.GetAsync("/api/email/unsubscribe?token=" + Uri.EscapeDataString(forged))).AssertProblemAsync(400, "email.token_invalid");
        Assert.Equal("pending", await EmailChannelTests.EndpointStateAsync(client, resident));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/email/confirm?token=" + Uri.EscapeDataString(token))).StatusCode);
        Assert.Equal("active", await EmailChannelTests.EndpointStateAsync(client, resident));
    }

    [Fact]
    public async Task EmailEndpoint_InvalidAddress_IsRefusedWithEndpointInvalid()
    {
        await using var sink = new SmtpSink(new ReceiptLog(), TimeProvider.System);
        await sink.StartAsync();
        using var hub = new HubFactory(settings: new Dictionary<string, string?>(sink.HubSettings));
        await hub.WaitReadyAsync();
        using var client = hub.CreateClient();
        foreach (var address in new[] { "not-an-address", "Taro <taro@example.jp>", "a@b.jp, c@d.jp", "taro@localhost", "taro@[127.0.0.1]", new string('a', 65) + "@example.jp" })
        {
            var response = await client.PostAsJsonAsync("/api/residents", new
            {
                places = new[] { new { lat = 39.3, lon = 140.5 } },
                endpoints = new[] { new { channel = "email", address } },
            });
            await response.AssertProblemAsync(400, "residents.endpoint_invalid");
        }

        Assert.Equal(0, sink.MessageCount);
    }
}
