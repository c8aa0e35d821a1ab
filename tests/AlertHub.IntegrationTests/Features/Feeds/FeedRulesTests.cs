using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Scenarios;
using AlertHub.Tests.Shared;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features.Feeds;

public sealed class FeedRulesTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 7, 1, 6, 15, 0, TimeSpan.Zero);
    private readonly HubFactory _hub = new();
    private WebhookReceiver _receiver = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _hub.WaitReadyAsync();
        _admin = _hub.Admin();
        await Api.AddAreaAsync(_admin, "横手市", Api.Square(39.31, 140.55, 0.1), "district", "0520300");
        await Api.AddAreaAsync(_admin, "湯沢市", Api.Square(39.10, 140.50, 0.05), "district", "0520700");
        using var client = _hub.CreateClient();
        const string secret = "feed-rules-secret-01";
        await Api.RegisterAsync(client, 39.31, 140.55, ["elderly"], [new { channel = "webhook", address = _receiver.Url("yokote-1", secret), secret }]);
        await Api.RegisterAsync(client, 39.35, 140.58, [], [new { channel = "webhook", address = _receiver.Url("yokote-2", secret), secret }]);
        await Api.RegisterAsync(client, 39.10, 140.50, [], [new { channel = "webhook", address = _receiver.Url("yuzawa", secret), secret }]);
        var rules = new object[]
        {
            new
            {
                name = "landslide-yokote", families = new[] { "JMA:VXWW50" }, minSeverity = "Severe", municipalities = new[] { "05203" },
                @event = "土砂災害",
                templates = new Dictionary<string, object>
                {
                    ["ja"] = new { headline = "土砂災害警戒情報（{area}）", body = "{headline}", instruction = "崖から離れ、安全な場所へ避難してください。" },
                    ["en"] = new { headline = "Landslide alert ({area})", body = "Landslide risk is very high." },
                },
            },
            new
            {
                name = "quake-4", families = new[] { "JMA:VXSE53", "JMA:VXSE51" }, minIntensity = "4", municipalities = new[] { "05203" },
                @event = "地震", templates = new Dictionary<string, object> { ["ja"] = new { headline = "{area}で{intensity}の地震", body = "{headline}" } },
            },
        };
        var put = await _admin.PutAsJsonAsync("/api/rules", rules);
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _receiver.DisposeAsync();
        _hub.Dispose();
    }

    private async Task<JsonNode> PushAsync(byte[] telegram, string source = "jma")
    {
        var response = await _admin.PostAsync($"/api/feeds/{source}", new ByteArrayContent(telegram) { Headers = { ContentType = new("application/xml") } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task LandslideSeries_IssuedThenContinuedThenLifted_NotifiesOnceAndAllClearsThoseNotified()
    {
        var issued = await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued, JmaTelegrams.YuzawaNone));
        Assert.True(issued["applied"]!.GetValue<bool>());
        var alertId = issued["alertId"]!.GetValue<string>();
        Assert.Contains("alert issued to 2 residents", issued["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));
        Assert.Equal(["yokote-1", "yokote-2"], _receiver.Received.Select(r => r.Path).Order());
        Assert.All(_receiver.Received, r => Assert.Equal("土砂災害警戒情報（横手市）", r.Json["alert"]!["headline"]!.GetValue<string>()));

        var alert = await (await _admin.GetAsync($"/api/alerts/{alertId}")).JsonAsync();
        Assert.Equal(issued["eventId"]!.GetValue<string>(), alert["current"]!["sourceEventId"]!.GetValue<string>());
        Assert.Equal("Actual", alert["current"]!["status"]!.GetValue<string>());

        var continued = await PushAsync(JmaTelegrams.Landslide(T0.AddHours(1), "発表", 2, "通常", JmaTelegrams.YokoteContinued, JmaTelegrams.YuzawaNone));
        Assert.Contains("unchanged", continued["outcome"]!.GetValue<string>(), StringComparison.Ordinal);

        var stale = await PushAsync(JmaTelegrams.Landslide(T0.AddMinutes(30), "発表", 1, "通常", JmaTelegrams.YokoteIssued, JmaTelegrams.YuzawaIssued));
        Assert.False(stale["applied"]!.GetValue<bool>());
        Assert.Contains("older", stale["outcome"]!.GetValue<string>(), StringComparison.Ordinal);

        var lifted = await PushAsync(JmaTelegrams.Landslide(T0.AddHours(2), "発表", 3, "通常", JmaTelegrams.YokoteLifted, JmaTelegrams.YuzawaNone));
        Assert.Contains("all-clear sent to the 2 residents", lifted["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(10));
        var clears = _receiver.Received.Where(r => r.Json["alert"]!["headline"]!.GetValue<string>().StartsWith("【解除】", StringComparison.Ordinal)).ToList();
        Assert.Equal(["yokote-1", "yokote-2"], clears.Select(r => r.Path).Order());
        await Task.Delay(300);
        Assert.Equal(4, _receiver.Received.Count);
        Assert.DoesNotContain(_receiver.Received, r => r.Path == "yuzawa");

        var again = await _admin.PostAsync("/api/feeds/jma", new ByteArrayContent(JmaTelegrams.Landslide(T0.AddHours(2), "発表", 3, "通常", JmaTelegrams.YokoteLifted, JmaTelegrams.YuzawaNone)));
        Assert.Equal(200, (int)again.StatusCode);
        Assert.True((await again.JsonAsync())["duplicate"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Correction_OfTheSameRevision_ReplacesIt_AndStaffHearOfEveryEvent()
    {
        var staffEvents = new List<string>();
        await using var staff = _hub.SignalR(await _hub.CreateKeyAsync("viewer"));
        staff.On<JsonObject>("feedEvent", e => { lock (staffEvents) { staffEvents.Add(e["lifecycle"]!.GetValue<string>()); } });
        await staff.StartListeningAsync();

        await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued));
        var corrected = await PushAsync(JmaTelegrams.Landslide(T0, "訂正", 1, "通常", JmaTelegrams.YokoteIssued, JmaTelegrams.YuzawaIssued));
        Assert.Equal("Correction", corrected["lifecycle"]!.GetValue<string>());
        Assert.True(corrected["applied"]!.GetValue<bool>());
        for (var i = 0; i < 100 && staffEvents.Count < 2; i++)
        {
            await Task.Delay(50);
        }

        lock (staffEvents)
        {
            Assert.Equal(["New", "Correction"], staffEvents);
        }
    }

    [SharedDataFact]
    public async Task QuakeSeries_LaterReportWithoutAreas_IsNotAnAllClear()
    {
        var rules = await (await _admin.GetAsync("/api/rules")).JsonAsync();
        rules[1]!["families"] = new JsonArray("JMA:VXSE51", "JMA:VXSE52", "JMA:VXSE53");
        Assert.True((await _admin.PutAsync("/api/rules", HttpJson.Raw(rules.ToJsonString()))).IsSuccessStatusCode);
        var dir = SharedData.Path("fixtures", "feeds", "jma")!;
        var intensity = await PushAsync(await File.ReadAllBytesAsync(Path.Combine(dir, "32-35_06_03_240613_VXSE53.xml")));
        Assert.Contains("quake-4: alert issued", intensity["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));

        // A hypocentre report of the same quake (same series), newer and with no areas: not a lifting.
        var hypocentre = await File.ReadAllTextAsync(Path.Combine(dir, "32-35_06_03_240613_VXSE53.xml"));
        var later = System.Text.RegularExpressions.Regex.Replace(hypocentre, @"<Intensity>[\s\S]*</Intensity>", "");
        later = later.Replace("<Serial>1</Serial>", "<Serial>2</Serial>", StringComparison.Ordinal);
        later = System.Text.RegularExpressions.Regex.Replace(later, @"(<DateTime>\d{4}-\d\d-\d\dT\d\d:\d\d:)(\d\d)(Z</DateTime>)", m => m.Groups[1].Value + "59" + m.Groups[3].Value, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        var pushed = await PushAsync(System.Text.Encoding.UTF8.GetBytes(later));
        Assert.True(pushed["applied"]!.GetValue<bool>());
        Assert.Contains("nothing was lifted: no message", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal(2, _receiver.Received.Count);
    }

    [Fact]
    public async Task RaisedToMoreMunicipalities_SendsAnUpdateToNewcomers()
    {
        await PutRuleForBothCitiesAsync();
        await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued, JmaTelegrams.YuzawaNone));
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));
        var raised = await PushAsync(JmaTelegrams.Landslide(T0.AddHours(1), "発表", 2, "通常", JmaTelegrams.YokoteContinued, JmaTelegrams.YuzawaIssued));
        Assert.Contains("raised: update sent to 3 residents", raised["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 5, TimeSpan.FromSeconds(10));
        Assert.Single(_receiver.Received, r => r.Path == "yuzawa");
    }

    [Fact]
    public async Task CancelOfNeverNotifiedSeries_SendsNothing_AndDrillsNeverReachResidents()
    {
        var drill = await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "訓練", JmaTelegrams.YokoteIssued));
        Assert.Equal("Exercise", drill["operational"]!.GetValue<string>());
        Assert.Contains("Exercise: not sent to residents", drill["outcome"]!.GetValue<string>(), StringComparison.Ordinal);

        var cancel = await PushAsync(JmaTelegrams.Landslide(T0.AddMinutes(5), "取消", 1, "通常"));
        Assert.Equal("Cancel", cancel["lifecycle"]!.GetValue<string>());
        Assert.Contains("nothing sent", cancel["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Empty(_receiver.Received);
        Assert.Empty((await (await _admin.GetAsync("/api/alerts")).JsonAsync()).AsArray());
    }

    [Fact]
    public async Task CancelAfterNotification_RetractsForThoseNotifiedOnly()
    {
        var issued = await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued));
        await Api.WaitForDeliveryAsync(_admin, issued["alertId"]!.GetValue<string>(),
            a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(10));
        var cancel = await PushAsync(JmaTelegrams.Landslide(T0.AddMinutes(10), "取消", 1, "通常"));
        Assert.Contains("cancellation sent to the 2 residents", cancel["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(10));
        Assert.Equal(2, _receiver.Received.Count(r => r.Json["alert"]!["msgType"]!.GetValue<string>() == "Cancel"));
    }

    [Fact]
    public async Task DraftRule_WaitsForASecondPersonsApproval()
    {
        var rules = await (await _admin.GetAsync("/api/rules")).JsonAsync();
        rules[0]!["mode"] = "draft";
        Assert.True((await _admin.PutAsync("/api/rules", HttpJson.Raw(rules.ToJsonString()))).IsSuccessStatusCode);
        var pushed = await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued));
        Assert.Contains("waits for approval", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(300);
        Assert.Empty(_receiver.Received);

        var drafts = (await (await _admin.GetAsync("/api/alert-drafts?state=pending")).JsonAsync()).AsArray();
        var draftId = Assert.Single(drafts)!["id"]!.GetValue<string>();
        var approver = await _hub.CreateKeyAsync("approver");
        using var approverClient = _hub.WithKey(approver);
        var approved = await approverClient.PostAsync($"/api/alert-drafts/{draftId}/approve", null);
        Assert.Equal(202, (int)approved.StatusCode);
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));
        await (await approverClient.PostAsync($"/api/alert-drafts/{draftId}/approve", null)).AssertProblemAsync(404, "alerts.draft_not_found");
    }

    [Fact]
    public async Task DraftRule_RaisedWarning_BecomesAnUpdateDraftNotAnUpdate()
    {
        await PutRuleForBothCitiesAsync();
        var rules = await (await _admin.GetAsync("/api/rules")).JsonAsync();
        rules[0]!["mode"] = "draft";
        Assert.True((await _admin.PutAsync("/api/rules", HttpJson.Raw(rules.ToJsonString()))).IsSuccessStatusCode);
        await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued, JmaTelegrams.YuzawaNone));
        var first = Assert.Single((await (await _admin.GetAsync("/api/alert-drafts?state=pending")).JsonAsync()).AsArray())!["id"]!.GetValue<string>();
        using var approver = _hub.WithKey(await _hub.CreateKeyAsync("approver"));
        var alertId = (await (await approver.PostAsync($"/api/alert-drafts/{first}/approve", null)).JsonAsync())["id"]!.GetValue<string>();
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));

        var raised = await PushAsync(JmaTelegrams.Landslide(T0.AddHours(1), "発表", 2, "通常", JmaTelegrams.YokoteContinued, JmaTelegrams.YuzawaIssued));

        Assert.Contains("update draft", raised["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(300);
        Assert.Equal(2, _receiver.Received.Count);
        var pending = Assert.Single((await (await _admin.GetAsync("/api/alert-drafts?state=pending")).JsonAsync()).AsArray())!;
        Assert.Equal(alertId, pending["updatesAlertId"]!.GetValue<string>());
        var update = await approver.PostAsync($"/api/alert-drafts/{pending["id"]!.GetValue<string>()}/approve", null);
        Assert.Equal(202, (int)update.StatusCode);
        Assert.Equal(2, (await update.JsonAsync())["version"]!.GetValue<int>());
        await _receiver.WaitForAsync(r => r.Count == 5, TimeSpan.FromSeconds(10));
        Assert.Single(_receiver.Received, r => r.Path == "yuzawa");
    }

    [Fact]
    public async Task DraftRule_CancelAfterTheDraftWasApproved_RetractsWhatResidentsGot()
    {
        var rules = await (await _admin.GetAsync("/api/rules")).JsonAsync();
        rules[0]!["mode"] = "draft";
        Assert.True((await _admin.PutAsync("/api/rules", HttpJson.Raw(rules.ToJsonString()))).IsSuccessStatusCode);
        await PushAsync(JmaTelegrams.Landslide(T0, "発表", 1, "通常", JmaTelegrams.YokoteIssued));
        var draft = Assert.Single((await (await _admin.GetAsync("/api/alert-drafts?state=pending")).JsonAsync()).AsArray())!["id"]!.GetValue<string>();
        using var approver = _hub.WithKey(await _hub.CreateKeyAsync("approver"));
        Assert.Equal(202, (int)(await approver.PostAsync($"/api/alert-drafts/{draft}/approve", null)).StatusCode);
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));

        var cancel = await PushAsync(JmaTelegrams.Landslide(T0.AddMinutes(10), "取消", 1, "通常"));

        Assert.Contains("cancellation sent to the 2 residents", cancel["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Rules_Invalid_Returns400AndKeepsTheOldOnes()
    {
        var response = await _admin.PutAsJsonAsync("/api/rules", new object[] { new { name = "x", families = Array.Empty<string>(), templates = new { } } });
        await response.AssertProblemAsync(400, "rules.invalid");
        Assert.Equal(2, (await (await _admin.GetAsync("/api/rules")).JsonAsync()).AsArray().Count);
    }

    [SharedDataFact]
    public async Task RealVxse53_Intensity5LowerInYokote_AlertsResidentsThere()
    {
        var telegram = await File.ReadAllBytesAsync(SharedData.Path("fixtures", "feeds", "jma", "32-35_06_03_240613_VXSE53.xml")!);
        var pushed = await PushAsync(telegram);
        Assert.Equal("JMA:VXSE53", pushed["family"]!.GetValue<string>());
        Assert.Contains("quake-4: alert issued to 2 residents", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));
        Assert.All(_receiver.Received, r => Assert.Equal("横手市で震度5弱の地震", r.Json["alert"]!["headline"]!.GetValue<string>()));

        var events = (await (await _admin.GetAsync("/api/events?code=05203")).JsonAsync()).AsArray();
        var listed = Assert.Single(events)!;
        var raw = await _admin.GetByteArrayAsync(listed["raw"]!.GetValue<string>());
        Assert.Equal(telegram, raw);
    }

    private async Task PutRuleForBothCitiesAsync()
    {
        var rules = await (await _admin.GetAsync("/api/rules")).JsonAsync();
        rules[0]!["municipalities"] = new JsonArray("05203", "05207");
        Assert.True((await _admin.PutAsync("/api/rules", HttpJson.Raw(rules.ToJsonString()))).IsSuccessStatusCode);
    }
}
