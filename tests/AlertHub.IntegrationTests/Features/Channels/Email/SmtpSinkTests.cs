using System.Net;
using System.Text;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Smtp;
using AlertHub.MobileSim.Report;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace AlertHub.IntegrationTests.Features.Channels.Email;

/// <summary>The C# SMTP sink of mobile-sim: its protocol on its own (through MailKit) and the hub delivering to it.</summary>
public sealed class SmtpSinkTests
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.30, lon = 140.55, radiusMeters = 500 } } };

    [Fact]
    public async Task SmtpSink_HubDeliversToManyResidents_OneReceiptPerRecipientAndUnknownMailboxGone()
    {
        var log = new ReceiptLog();
        await using var sink = new SmtpSink(log, TimeProvider.System, new SmtpSinkOptions { RejectUnknownMailboxes = true });
        await sink.StartAsync();
        using var hub = new HubFactory(settings: new Dictionary<string, string?>(sink.HubSettings) { ["Hub:PublicBaseUrl"] = "https://bousai.city.yokote.test" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var residents = Enumerable.Range(0, 40).Select(i => $"sim-{i:000}").ToList();
        var lines = new StringBuilder();
        foreach (var externalId in residents.Append("sim-unknown"))
        {
            var address = externalId == "sim-unknown" ? "stranger@sim.alerthub.test" : sink.EndpointFor(externalId).Address;
            lines.AppendLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                externalId,
                places = new[] { new { lat = 39.30, lon = 140.55 } },
                endpoints = new[] { new { channel = "email", address } },
            }));
        }

        var imported = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(lines.ToString(), "application/x-ndjson"))).JsonAsync();
        Assert.Equal(41, imported["accepted"]!.GetValue<int>());
        sink.FailMailbox(sink.EndpointFor("sim-007").Address!, times: 1);

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var id = issued["id"]!.GetValue<string>();
        var summary = await Api.WaitForDeliveryAsync(admin, id,
            a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 40 && a["delivery"]!["total"]!["gone"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(20));
        Assert.Equal(0, summary["delivery"]!["total"]!["queued"]!.GetValue<long>());
        await Task.Delay(300);

        var receipts = log.Snapshot();
        Assert.Equal(40, receipts.Count);
        Assert.Equal(residents, receipts.Select(r => r.ExternalId).Order());
        Assert.All(receipts, r => Assert.Equal(("email", id, 1), (r.Channel, r.AlertId, r.Version)));
        Assert.Equal(40, receipts.Select(r => r.DeliveryId).Distinct().Count());
        Assert.All(receipts, r => Assert.EndsWith(":email", r.DeliveryId, StringComparison.Ordinal));
        Assert.Equal(0, log.UnknownResident);
        Assert.Equal(0, log.Malformed);
        Assert.Equal(2, sink.RecipientRejections);
        Assert.All(sink.Messages, m => Assert.Single(m.Recipients));
        Assert.All(sink.Messages, m => Assert.Equal("【訓練】横手川 氾濫危険", m.Parse().Subject));
    }

    [Fact]
    public async Task SmtpSink_MailKitSession_DotUnstuffsAndRecordsEveryRecipient()
    {
        var log = new ReceiptLog();
        await using var sink = new SmtpSink(log, TimeProvider.System);
        await sink.StartAsync();
        var a = sink.EndpointFor("sim-a").Address!;
        var b = sink.EndpointFor("sim-b").Address!;
        sink.RejectMailbox("gone@sim.alerthub.test");
        var message = new MimeMessage { Subject = "点検 テスト" };
        message.From.Add(MailboxAddress.Parse("anzen@city.yokote.test"));
        message.To.Add(MailboxAddress.Parse(a));
        message.Cc.Add(MailboxAddress.Parse(b));
        message.Headers.Add("X-AlertHub-Delivery-Id", "alert-1:3:r:email");
        message.Headers.Add("X-AlertHub-Alert-Id", "alert-1");
        message.Headers.Add("X-AlertHub-Alert-Version", "3");
        var text = ".leading dot\r\n..two dots\r\n.\r\n本文です\r\n";
        message.Body = new TextPart("plain") { Text = text, ContentTransferEncoding = ContentEncoding.EightBit };

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync("127.0.0.1", sink.Port, SecureSocketOptions.None);
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.EightBitMime));
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.UTF8));
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Size));
            await client.SendAsync(message);

            var rejected = await Assert.ThrowsAsync<SmtpCommandException>(() =>
                client.SendAsync(message, MailboxAddress.Parse("anzen@city.yokote.test"), [MailboxAddress.Parse("gone@sim.alerthub.test")]));
            Assert.Equal(SmtpErrorCode.RecipientNotAccepted, rejected.ErrorCode);
            Assert.Equal(550, (int)rejected.StatusCode);

            // The session is still usable after the refusal (MailKit sent RSET).
            await client.NoOpAsync();
            await client.SendAsync(message, MailboxAddress.Parse("anzen@city.yokote.test"), [MailboxAddress.Parse(a)]);
            await client.DisconnectAsync(quit: true);
        }

        var stored = sink.Messages.ToList();
        Assert.Equal(2, stored.Count);
        Assert.Equal([a, b], stored[0].Recipients);
        Assert.EndsWith("\r\n\r\n" + text, Encoding.UTF8.GetString(stored[0].Raw), StringComparison.Ordinal);
        Assert.Equal(text.ReplaceLineEndings("\n"), Assert.IsType<TextPart>(stored[0].Parse().Body).Text.ReplaceLineEndings("\n"));
        Assert.Equal("点検 テスト", stored[0].Parse().Subject);
        Assert.Equal([("sim-a", "alert-1", 3), ("sim-b", "alert-1", 3), ("sim-a", "alert-1", 3)],
            log.Snapshot().Select(r => (r.ExternalId, r.AlertId, r.Version)));
    }

    [Fact]
    public async Task SmtpSink_GlobalFailure421_ClosesTheConnectionUntilItEnds()
    {
        var log = new ReceiptLog();
        await using var sink = new SmtpSink(log, TimeProvider.System);
        await sink.StartAsync();
        var a = sink.EndpointFor("sim-a").Address!;
        sink.FailAll(421, TimeSpan.FromMinutes(1));
        var message = new MimeMessage { Subject = "x" };
        message.From.Add(MailboxAddress.Parse("anzen@city.yokote.test"));
        message.To.Add(MailboxAddress.Parse(a));
        message.Body = new TextPart("plain") { Text = "x" };
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", sink.Port, SecureSocketOptions.None);
        var e = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
        Assert.Equal(421, (int)e.StatusCode);
        sink.EndGlobalFailure();
        using var again = new SmtpClient();
        await again.ConnectAsync("127.0.0.1", sink.Port, SecureSocketOptions.None);
        await again.SendAsync(message);
        await again.DisconnectAsync(true);
        Assert.Equal(1, sink.MessageCount);
        Assert.Equal(1, sink.RecipientRejections);
        Assert.Empty(log.Snapshot());
        Assert.Equal(1, log.Malformed); // no X-AlertHub headers: counted, not taken for an alert
    }
}
