using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Twilio;

namespace AlertHub.IntegrationTests.Features.Channels.Telephony;

public sealed class TelephonyChannelTests
{
    private static object Alert(string[] channels, object? escalation = null, string body = "横手川が氾濫危険水位に達しました。", string status = "Exercise") => new
    {
        status,
        @event = "洪水",
        severity = "Severe",
        urgency = "Immediate",
        certainty = "Likely",
        area = new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 2000 } } },
        channels = escalation is null ? channels : null,
        escalation,
        texts = new Dictionary<string, object> { ["ja"] = new { headline = "横手川 氾濫危険", body, instruction = "高い所へ避難してください。" } },
    };

    private static Task<Registered> PhoneResidentAsync(HttpClient client, string channel, string number, string? also = null) =>
        Api.RegisterAsync(client, 39.3, 140.55, endpoints: also is null
            ? [new { channel, address = number }]
            : [new { channel, address = number }, new { channel = also }]);

    private static async Task<JsonNode> AttemptsAsync(HttpClient admin, string alertId) => await (await admin.GetAsync($"/api/telephony/attempts?alertId={alertId}")).JsonAsync();

    [Fact]
    public async Task Voice_PressingOne_AcknowledgesTheAlertAndStopsEscalation()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        var resident = await PhoneResidentAsync(h.Hub.CreateClient(), "voice", "0182-11-2233", also: "signalr");
        h.Voice.Script("+81182112233", CallOutcome.HumanPresses1);

        var id = (await Api.IssueAsync(admin, Alert([], escalation: new { channels = new[] { "voice", "signalr" }, stepMinutes = 0.5 })))["id"]!.GetValue<string>();

        await h.WaitAsync(() => (h.Voice.Calls.Count > 0 ? h.Voice.Calls[0] : null)?.AfterDigits is not null, "the keypad answer");
        var call = Assert.Single(h.Voice.Calls);
        Assert.Equal("+81182112233", call.To);
        var twiml = XElement.Parse(call.Twiml!);
        var gather = Assert.Single(twiml.Elements("Gather"));
        Assert.All(gather.Elements("Say"), s => Assert.Equal("ja-JP", (string?)s.Attribute("language")));
        Assert.StartsWith("横手市からのお知らせです。これは訓練です。横手川 氾濫危険。", gather.Elements("Say").First().Value, StringComparison.Ordinal);
        Assert.StartsWith("繰り返します。", gather.Elements("Say").ElementAt(1).Value, StringComparison.Ordinal);
        Assert.Contains("受け取りを確認しました", call.AfterDigits, StringComparison.Ordinal);

        var alert = await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["acks"]!.GetValue<long>() == 1
            && a["delivery"]!["byChannel"]!["signalr"]!["acknowledged"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(10));
        Assert.Equal(1, alert["delivery"]!["byChannel"]!["voice"]!["delivered"]!.GetValue<long>());
        var attempts = await AttemptsAsync(admin, id);
        Assert.Equal(1, attempts["outcomes"]!["voice"]!["acknowledged"]!.GetValue<int>());
        Assert.NotNull(resident);
    }

    [Fact]
    public async Task Voice_BusyThenNoAnswer_IsCalledAgainOnTheSchedule_AndGivesUpAfterIt()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        await PhoneResidentAsync(h.Hub.CreateClient(), "voice", "0182-11-0001");
        await PhoneResidentAsync(h.Hub.CreateClient(), "voice", "0182-11-0002");
        h.Voice.Script("+81182110001", CallOutcome.Busy, CallOutcome.NoAnswer, CallOutcome.Human);
        h.Voice.Script("+81182110002", CallOutcome.Busy, CallOutcome.Busy, CallOutcome.Busy, CallOutcome.Human);

        var id = (await Api.IssueAsync(admin, Alert(["voice"])))["id"]!.GetValue<string>();

        await h.WaitAsync(() => h.Voice.Calls.Count(c => c.To == "+81182110001") == 3 && h.Voice.Calls.Count(c => c.To == "+81182110002") == 3
            && h.Voice.Calls.All(c => c.Callbacks.Any(cb => cb.Status is "completed" or "busy" or "no-answer")), "three calls to each number");
        await Task.Delay(1000); // a fourth call would come 300 ms after the third
        Assert.Equal(3, h.Voice.Calls.Count(c => c.To == "+81182110002"));
        Assert.Equal([CallOutcome.Busy, CallOutcome.NoAnswer, CallOutcome.Human], h.Voice.Calls.Where(c => c.To == "+81182110001").Select(c => c.Outcome));
        Assert.All(h.Voice.Calls.SelectMany(c => c.Callbacks), cb => Assert.Equal(204, cb.HubAnswer));

        var attempts = await AttemptsAsync(admin, id);
        Assert.Equal(1, attempts["outcomes"]!["voice"]!["answered"]!.GetValue<int>());
        Assert.Equal(1, attempts["outcomes"]!["voice"]!["unreachable"]!.GetValue<int>());
        var first = attempts["attempts"]!.AsArray().Where(a => a!["number"]!.GetValue<string>() == "…0001").Select(a => a!["status"]!.GetValue<string>());
        Assert.Equal(["busy", "no-answer", "completed"], first);
    }

    [Fact]
    public async Task Voice_AnsweringMachine_GetsTheMessageOnce_AndIsNotCalledAgain()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        await PhoneResidentAsync(h.Hub.CreateClient(), "voice", "0182-22-3344");
        h.Voice.Script("+81182223344", CallOutcome.Machine);

        var id = (await Api.IssueAsync(admin, Alert(["voice"])))["id"]!.GetValue<string>();

        await h.WaitAsync(() => (h.Voice.Calls.Count > 0 ? h.Voice.Calls[0] : null)?.Callbacks.Any(c => c.Status == "completed") == true, "the call to end");
        await Task.Delay(800);
        var call = Assert.Single(h.Voice.Calls);
        var twiml = XElement.Parse(call.Twiml!);
        Assert.Empty(twiml.Elements("Gather"));
        var say = Assert.Single(twiml.Elements("Say"));
        Assert.DoesNotContain("繰り返します", say.Value, StringComparison.Ordinal);
        var attempts = await AttemptsAsync(admin, id);
        Assert.Equal(1, attempts["outcomes"]!["voice"]!["voicemail"]!.GetValue<int>());
        Assert.Equal("machine_end_beep", attempts["attempts"]![0]!["answeredBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sms_LongJapaneseAlert_FitsTwoSegmentsWithALinkToTheFullText()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        await PhoneResidentAsync(h.Hub.CreateClient(), "sms", "090-1234-5678");
        var body = string.Concat(Enumerable.Repeat("横手川が氾濫危険水位に達しました。浸水のおそれがあります。", 8));

        var id = (await Api.IssueAsync(admin, Alert(["sms"], body: body)))["id"]!.GetValue<string>();

        await h.WaitAsync(() => h.Sms.Messages.Count == 1, "the SMS");
        var message = Assert.Single(h.Sms.Messages);
        Assert.Equal("+819012345678", message.To);
        Assert.Equal(2, message.Segments);
        Assert.True(message.Body.Length <= 134, message.Body);
        Assert.StartsWith("【訓練】横手川 氾濫危険\nこれは訓練です。横手川が", message.Body, StringComparison.Ordinal);
        var link = message.Body[(message.Body.LastIndexOf('\n') + 1)..];
        Assert.Equal($"http://localhost:5080/t/{id[..12]}", link);

        var page = await h.Hub.CreateClient().GetAsync(new Uri(link).AbsolutePath);
        Assert.Equal("text/plain", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains(body, await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await h.WaitAsync(() => AttemptsAsync(admin, id).Result["outcomes"]!["sms"]?["delivered"]?.GetValue<int>() == 1, "the delivered callback");
    }

    [Fact]
    public async Task Callbacks_UnsignedOrTampered_AreRefusedAndAcknowledgeNothing()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        await PhoneResidentAsync(h.Hub.CreateClient(), "voice", "0182-33-4455");
        var id = (await Api.IssueAsync(admin, Alert(["voice"])))["id"]!.GetValue<string>();
        await h.WaitAsync(() => (h.Voice.Calls.Count > 0 ? h.Voice.Calls[0] : null)?.Callbacks.Any(c => c.Status == "completed") == true, "the call");
        var call = h.Voice.Calls[0];
        var gatherUrl = call.StatusCallback!.Replace("/status?", "/gather?", StringComparison.Ordinal);
        var form = new Dictionary<string, string> { ["CallSid"] = call.Sid, ["AccountSid"] = h.Voice.Options.AccountSid, ["Digits"] = "1", ["To"] = call.To };
        using var client = h.Hub.CreateClient();

        async Task<HttpResponseMessage> PostAsync(Dictionary<string, string> sent, string? signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, gatherUrl) { Content = new FormUrlEncodedContent(sent) };
            if (signature is not null)
            {
                request.Headers.Add("X-Twilio-Signature", signature);
            }

            return await client.SendAsync(request);
        }

        await (await PostAsync(form, null)).AssertProblemAsync(403, "telephony.signature_invalid");
        await (await PostAsync(form, FakeTwilio.Sign("some-other-token-00000000000000", gatherUrl, form))).AssertProblemAsync(403, "telephony.signature_invalid");
        await (await PostAsync(new(form) { ["Digits"] = "1", ["To"] = "+81999" }, FakeTwilio.Sign(h.Voice.Options.AuthToken, gatherUrl, form)))
            .AssertProblemAsync(403, "telephony.signature_invalid");
        Assert.Equal(0, (await (await admin.GetAsync($"/api/alerts/{id}")).JsonAsync())["delivery"]!["acks"]!.GetValue<long>());

        var signed = await PostAsync(form, FakeTwilio.Sign(h.Voice.Options.AuthToken, gatherUrl, form));
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal(1, (await (await admin.GetAsync($"/api/alerts/{id}")).JsonAsync())["delivery"]!["acks"]!.GetValue<long>());

        h.Voice.TamperNextCallback();
        await PhoneResidentAsync(h.Hub.CreateClient(), "voice", "0182-33-4456");
        await Api.IssueAsync(admin, Alert(["voice"]));
        await h.WaitAsync(() => h.Voice.CallbackFailures >= 1, "the tampered callback to be refused");
    }

    [Fact]
    public async Task Voice_TwilioAnswers429_TheHubBacksOffAndStillCallsEveryoneOnce()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        for (var i = 0; i < 6; i++)
        {
            await PhoneResidentAsync(h.Hub.CreateClient(), "voice", $"0182-44-000{i}");
        }

        h.Voice.ThrottleNext(3);
        var id = (await Api.IssueAsync(admin, Alert(["voice"])))["id"]!.GetValue<string>();

        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["voice"]!["delivered"]!.GetValue<long>() == 6, TimeSpan.FromSeconds(20));
        Assert.Equal(3, h.Voice.Errors.Count(e => e == (429, 20429)));
        Assert.Equal(6, h.Voice.Calls.Select(c => c.To).Distinct().Count());
        Assert.Equal(6, h.Voice.Calls.Count);
    }

    [Fact]
    public async Task Voice_ManyResidents_CallsStartAtTheConfiguredCpsAndNeverBeyondIt()
    {
        await using var h = await TelephonyHarness.StartAsync(callsPerSecond: 10);
        using var starts = new CounterStarts(h.Hub.Services, "alerthub.telephony.requests", "channel", "voice");
        using var admin = h.Hub.Admin();
        using var client = h.Hub.CreateClient();
        var lines = string.Join('\n', Enumerable.Range(0, 40).Select(i =>
            $$"""{"attributes":{"language":"ja"},"places":[{"lat":39.3,"lon":140.55}],"endpoints":[{"channel":"voice","address":"0182-55-{{i:D4}}"}]}"""));
        (await admin.PostAsync("/api/residents/import", new StringContent(lines, System.Text.Encoding.UTF8, "application/x-ndjson"))).EnsureSuccessStatusCode();

        var id = (await Api.IssueAsync(admin, Alert(["voice"])))["id"]!.GetValue<string>();

        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["voice"]!["delivered"]!.GetValue<long>() == 40, TimeSpan.FromSeconds(30));
        Assert.Equal(40, h.Voice.Calls.Count);
        // Twilio's CPS is a bucket: nothing was queued beyond it.
        Assert.Equal(0, h.Voice.QueuedBeyondCps);
        // The pace is timed where the hub starts each call, not where it arrives at the fake: arrival adds the loopback's and
        // the fake's scheduling jitter, which on a loaded CI machine put 12 arrivals in one second of a 10 CPS hub. Slots are
        // 1/CPS apart and a start can be at most one slot late (a timer waking late), so a second holds at most CPS + 1.
        Assert.Equal(40, starts.Count);
        Assert.True(starts.MaxInAnySecond() <= 11, $"{starts.MaxInAnySecond()} calls started in one second");
        Assert.InRange(starts.Rate(), 8, 10.5);
    }

    [Fact]
    public async Task Kpi_CountsVoiceAndSmsOnceTheyDelivered()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        var before = await (await admin.GetAsync("/api/kpi/push-channels")).JsonAsync();
        Assert.DoesNotContain(before["channels"]!.AsArray(), c => c!["name"]!.GetValue<string>() is "voice" or "sms" && c["deliveredInWindow"]!.GetValue<bool>());
        await PhoneResidentAsync(h.Hub.CreateClient(), "voice", "0182-66-0001");
        await PhoneResidentAsync(h.Hub.CreateClient(), "sms", "080-6666-0001");

        var id = (await Api.IssueAsync(admin, Alert(["voice", "sms"])))["id"]!.GetValue<string>();
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(10));

        var kpi = await (await admin.GetAsync("/api/kpi/push-channels")).JsonAsync();
        foreach (var name in new[] { "voice", "sms" })
        {
            Assert.Contains(kpi["channels"]!.AsArray(), c => c!["name"]!.GetValue<string>() == name && c["deliveredInWindow"]!.GetValue<bool>()
                && c["healthy"]!.GetValue<bool>() && c["countsTowardKpi"]!.GetValue<bool>());
        }

        Assert.Equal(before["count"]!.GetValue<int>() + 2, kpi["count"]!.GetValue<int>());
    }
}
