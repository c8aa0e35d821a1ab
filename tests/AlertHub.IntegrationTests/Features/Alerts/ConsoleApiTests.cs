using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Alerts;

/// <summary>
/// The APIs behind the staff console (issue 17): the render preview the confirmation screen shows, the board's filtered
/// alert list, and the compose templates. Whatever a page or a hostile client sends gets a 4xx with a stable code.
/// </summary>
public sealed class ConsoleApiTests
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } };

    [Fact]
    public async Task RenderPreview_HostileRequests_AreProblemsWithStableCodes()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();

        await (await Preview(admin, new { kind = "everything" })).AssertProblemAsync(400, "alerts.invalid");
        await (await Preview(admin, new { })).AssertProblemAsync(400, "alerts.invalid");
        await (await Preview(admin, new { kind = "update" })).AssertProblemAsync(400, "alerts.invalid");
        await (await Preview(admin, new { kind = "cancel", alertId = "../../etc/passwd" })).AssertProblemAsync(404, "alerts.not_found");
        await (await Preview(admin, new { kind = "alert", alert = new { @event = "洪水", texts = new { ja = new { headline = "見出し" } } } }))
            .AssertProblemAsync(400, "alerts.invalid");
        await (await admin.PostAsync("/api/alerts/render-preview", HttpJson.Raw("""{"kind": "alert", "alert": {"status": "Exercise", "texts": {"ja": null}}}""")))
            .AssertProblemAsync(400, "alerts.text_missing");
        using var anonymous = hub.WithKey(null);
        Assert.Equal(401, (int)(await Preview(anonymous, new { kind = "alert" })).StatusCode);
    }

    [Fact]
    public async Task RenderPreview_TypedDrillMarker_IsRenderedOnceAndWarnedAbout()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await Api.RegisterAsync(admin, 39.3, 140.55);

        var exercise = await (await Preview(admin, new
        {
            kind = "alert",
            alert = new
            {
                status = "Exercise", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely", area = Here,
                texts = new Dictionary<string, object>
                {
                    ["ja"] = new { headline = "【訓練】【訓練】横手川 氾濫", body = "これは訓練です。横手川が氾濫しました。" },
                    ["ja-x-easy"] = new { headline = "かわの みずが あふれました", body = "たかい ところへ にげて ください。" },
                },
            },
        })).JsonAsync();

        Assert.Equal(1, exercise["reach"]!["recipients"]!.GetValue<int>());
        var texts = exercise["renderings"]!.AsArray().First(r => r!["channel"]!.GetValue<string>() == "signalr")!["texts"]!.AsArray();
        var ja = texts.First(t => t!["language"]!.GetValue<string>() == "ja")!;
        Assert.Equal("【訓練】横手川 氾濫", ja["headline"]!.GetValue<string>());
        Assert.Equal("これは訓練です。横手川が氾濫しました。", ja["body"]!.GetValue<string>());
        var easy = texts.First(t => t!["language"]!.GetValue<string>() == "ja-x-easy")!;
        Assert.StartsWith("【くんれん】", easy["headline"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(exercise["warnings"]!.AsArray(), w => w!["code"]!.GetValue<string>() == "alerts.text_marker_added_by_hub" && w["field"]!.GetValue<string>() == "headline");

        // 【訓練】 typed into a real alert is said before sending: residents would read a real alert marked as a drill.
        var actual = await (await Preview(admin, new
        {
            kind = "alert",
            alert = new
            {
                status = "Actual", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely", area = Here,
                texts = new Dictionary<string, object> { ["ja"] = new { headline = "【訓練】横手川 氾濫", body = "横手川が氾濫しました。" } },
            },
        })).JsonAsync();
        Assert.Contains(actual["warnings"]!.AsArray(), w => w!["code"]!.GetValue<string>() == "alerts.text_marker_contradicts_status");
    }

    [Fact]
    public async Task RenderPreview_Cancel_CountsOnlyThoseEarlierVersionsReached()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await using var receiver = await WebhookReceiver.StartAsync();
        const string Secret = "console-preview-secret";
        await Api.RegisterAsync(admin, 39.3, 140.55, endpoints: [new { channel = "webhook", address = receiver.Url("a", Secret), secret = Secret }]);
        await Api.RegisterAsync(admin, 39.3001, 140.5501, endpoints: [new { channel = "webhook", address = receiver.Url("b", Secret), secret = Secret }]);
        // A resident whose page is closed was never reached: the cancel does not go to them (their first version is not sent either).
        await Api.RegisterAsync(admin, 39.3001, 140.5502);
        var id = (await Api.IssueAsync(admin, Api.ExerciseAlert(Here)))["id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => r.Count >= 2, TimeSpan.FromSeconds(20));
        // Someone who registers after the alert is not told of its cancellation.
        await Api.RegisterAsync(admin, 39.3002, 140.5502, endpoints: [new { channel = "webhook", address = receiver.Url("c", Secret), secret = Secret }]);

        var cancel = await (await Preview(admin, new { kind = "cancel", alertId = id })).JsonAsync();

        Assert.Equal("previouslyReached", cancel["reach"]!["rule"]!.GetValue<string>());
        Assert.Equal(2, cancel["reach"]!["recipients"]!.GetValue<int>());
        Assert.Equal("Cancel", cancel["msgType"]!.GetValue<string>());
        using var check = hub.Admin();
        Assert.Equal(1, (await check.GetFromJsonAsync<JsonNode>($"/api/alerts/{id}"))!["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task AlertList_Filters_FindByWordsAndStatusAndRefuseBadValues()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var drill = (await Api.IssueAsync(admin, Api.ExerciseAlert(Here, headline: "皆瀬川 氾濫危険")))["id"]!.GetValue<string>();
        var other = (await Api.IssueAsync(admin, Api.ExerciseAlert(Here, headline: "成瀬川 氾濫危険")))["id"]!.GetValue<string>();
        await admin.PostAsJsonAsync($"/api/alerts/{other}/cancel", new { });

        var found = (await admin.GetFromJsonAsync<JsonArray>("/api/alerts?q=" + Uri.EscapeDataString("皆瀬川")))!;
        var item = Assert.Single(found)!;
        Assert.Equal(drill, item["id"]!.GetValue<string>());
        Assert.Equal("皆瀬川 氾濫危険", item["headline"]!.GetValue<string>());
        Assert.Equal("Exercise", item["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(item["author"]!.GetValue<string>()));
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>("/api/alerts?status=Actual"))!);
        Assert.Equal(other, Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/alerts?state=cancelled"))!)!["id"]!.GetValue<string>());
        // A LIKE wildcard is a character, not "anything".
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>("/api/alerts?q=%25"))!);

        await (await admin.GetAsync("/api/alerts?status=Real")).AssertProblemAsync(400, "alerts.invalid");
        await (await admin.GetAsync("/api/alerts?status=1")).AssertProblemAsync(400, "alerts.invalid");
        await (await admin.GetAsync("/api/alerts?state=deleted")).AssertProblemAsync(400, "alerts.invalid");
        await (await admin.GetAsync("/api/alerts?q=" + new string('a', 201))).AssertProblemAsync(400, "alerts.invalid");
    }

    [Fact]
    public async Task ComposeTemplates_AdminEditsViewersRead_BadInputIsAProblem()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        using var viewer = hub.WithKey(await hub.CreateKeyAsync("viewer"));

        var defaults = (await viewer.GetFromJsonAsync<JsonArray>("/api/compose-templates"))!;
        Assert.Contains(defaults, t => t!["id"]!.GetValue<string>() == "flood");
        var template = new
        {
            name = "洪水（皆瀬川）", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "皆瀬川が氾濫危険水位に到達", body = "皆瀬川が氾濫危険水位に達しました。" } },
        };
        Assert.Equal(201, (int)(await admin.PutAsJsonAsync("/api/compose-templates/flood-minase", template)).StatusCode);
        var saved = (await viewer.GetFromJsonAsync<JsonArray>("/api/compose-templates"))!.First(t => t!["id"]!.GetValue<string>() == "flood-minase")!;
        Assert.Equal("皆瀬川が氾濫危険水位に到達", saved["texts"]!["ja"]!["headline"]!.GetValue<string>());

        Assert.Equal(403, (int)(await viewer.PutAsJsonAsync("/api/compose-templates/flood-minase", template)).StatusCode);
        await (await admin.PutAsJsonAsync("/api/compose-templates/Flood%20..", template)).AssertProblemAsync(400, "templates.invalid");
        await (await admin.PutAsJsonAsync("/api/compose-templates/x", new { name = "x", @event = "洪水", texts = new Dictionary<string, object>() }))
            .AssertProblemAsync(400, "templates.invalid");
        await (await admin.PutAsync("/api/compose-templates/x", HttpJson.Raw("""{"name": "x", "event": "洪水", "texts": {"<script>": {"headline": "a"}}}""")))
            .AssertProblemAsync(400, "templates.invalid");
        await (await admin.PutAsync("/api/compose-templates/x", HttpJson.Raw("""{"name": "x", "event": "洪水", "texts": {"ja": null}}""")))
            .AssertProblemAsync(400, "templates.invalid");
        await (await admin.DeleteAsync("/api/compose-templates/no-such")).AssertProblemAsync(404, "templates.not_found");
        Assert.Equal(204, (int)(await admin.DeleteAsync("/api/compose-templates/flood-minase")).StatusCode);
    }

    private static Task<HttpResponseMessage> Preview(HttpClient client, object body) => client.PostAsJsonAsync("/api/alerts/render-preview", body);
}
