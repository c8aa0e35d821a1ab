using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;

namespace AlertHub.BrowserTests.Pages;

/// <summary>
/// The resident page's live box when alerts arrive out of order. On subscribing, the hub hands a page everything that
/// was pending while it was closed, in no particular order; the order is made exact here by a stand-in for the
/// SignalR client library that lets the test deliver <c>alert</c> messages itself.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ResidentLiveAlertTests(BrowserHub hub)
{
    /// <summary>Just enough of @microsoft/signalr for common.js: the page's handlers end up in window.__residentHub.</summary>
    private const string FakeSignalR = """
        window.__residentHub = { handlers: {}, subscribed: false, reconnected: null };
        window.signalR = {
          LogLevel: { Warning: 3 },
          HubConnectionBuilder: class {
            withUrl() { return this; }
            withAutomaticReconnect() { return this; }
            configureLogging() { return this; }
            build() {
              return {
                on: (name, fn) => { window.__residentHub.handlers[name] = fn; },
                onreconnected: fn => { window.__residentHub.reconnected = fn; },
                start: async () => {},
                stop: async () => {},
                invoke: async name => { if (name === 'Subscribe') window.__residentHub.subscribed = true; return true; },
              };
            }
          },
        };
        """;

    [ToolFact("chromium")]
    public async Task LiveAlert_AnOlderAlertArrivingAfterANewerOne_DoesNotReplaceIt()
    {
        var (residentId, token) = await RegisterAsync(39.15, 140.35);
        var (context, page, problems) = await OpenWithStandInAsync(residentId, token);
        await using var _ = context;

        await DeliverAsync(page, "evacuation", 1, "2026-07-01T06:30:00+00:00", "【警戒レベル4】避難指示");
        await DeliverAsync(page, "heavy-rain", 1, "2026-07-01T06:00:00+00:00", "大雨警報");

        var live = page.Locator("#live-alert");
        await Assertions.Expect(live).ToContainTextAsync("避難指示");
        Assert.DoesNotContain("大雨警報", await live.TextContentAsync() ?? "", StringComparison.Ordinal);

        // A later message (here an update of the shown alert) still takes the box.
        await DeliverAsync(page, "evacuation", 2, "2026-07-01T06:45:00+00:00", "【更新】避難指示 対象地域拡大");
        await Assertions.Expect(live).ToContainTextAsync("対象地域拡大");
        Assert.Empty(problems);
    }

    /// <summary>
    /// An alert issued while the page's connection was down (or handed to a connection whose node died: SignalR keeps
    /// nothing) never arrives as a message; once the connection is back, the page subscribes again and reads its inbox.
    /// </summary>
    [ToolFact("chromium")]
    public async Task Reconnected_TheInboxIsReadAgain_SoAnAlertSentWhileTheConnectionWasDownIsShown()
    {
        const double lat = 39.162, lon = 140.362;
        var (residentId, token) = await RegisterAsync(lat, lon);
        var (context, page, problems) = await OpenWithStandInAsync(residentId, token);
        await using var _ = context;
        var inbox = page.Locator("#inbox");
        await Assertions.Expect(inbox).ToContainTextAsync("お知らせはありません");

        using (var admin = hub.Admin())
        {
            var issued = await admin.PostAsJsonAsync("/api/alerts", new
            {
                status = "Exercise", msgType = "Alert", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
                area = new { circles = new[] { new { lat, lon, radiusMeters = 300 } } },
                texts = new Dictionary<string, object> { ["ja"] = new { headline = "接続が切れている間の避難指示", body = "本文", instruction = "高い所へ" } },
            });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, issued.StatusCode);
        }

        // The hub has it in the resident's inbox; the page, whose (stand-in) connection delivered nothing, does not show it yet.
        using (var client = hub.Anonymous())
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            Assert.Contains("接続が切れている間の避難指示", await client.GetStringAsync($"/api/residents/{residentId}/inbox"), StringComparison.Ordinal);
        }

        await Assertions.Expect(inbox).ToContainTextAsync("お知らせはありません");
        await page.EvaluateAsync("() => { window.__residentHub.subscribed = false; return window.__residentHub.reconnected(); }");

        await Assertions.Expect(inbox).ToContainTextAsync("接続が切れている間の避難指示");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__residentHub.subscribed"));
        Assert.Empty(problems);
    }

    private async Task<(string Id, string Token)> RegisterAsync(double lat, double lon)
    {
        using var anonymous = hub.Anonymous();
        var response = await anonymous.PostAsJsonAsync("/api/residents", new
        {
            attributes = new { householdTags = Array.Empty<string>(), language = "ja" },
            places = new[] { new { label = "自宅", lat, lon } },
            endpoints = new[] { new { channel = "signalr" } },
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var resident = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (resident["id"]!.GetValue<string>(), resident["token"]!.GetValue<string>());
    }

    /// <summary>The resident page with the stand-in SignalR library, subscribed; problems collected from before it loads.</summary>
    private async Task<(IBrowserContext Context, IPage Page, List<string> Problems)> OpenWithStandInAsync(string residentId, string token)
    {
        var context = await hub.NewContextAsync(390, 844, 2);
        await context.RouteAsync("**/lib/signalr/signalr.min.js", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200, ContentType = "text/javascript", Body = FakeSignalR,
        }));
        await context.AddInitScriptAsync($"localStorage.setItem('alerthub.resident', JSON.stringify({{ id: '{residentId}', token: '{token}' }}))");
        var page = await context.NewPageAsync();
        var problems = ResidentPageTests.CollectProblems(page);
        await page.GotoAsync("/");
        await page.WaitForFunctionAsync("() => window.__residentHub.subscribed && typeof window.__residentHub.handlers.alert === 'function'");
        return (context, page, problems);
    }

    private static Task DeliverAsync(IPage page, string alertId, int version, string sent, string headline) =>
        page.EvaluateAsync("m => window.__residentHub.handlers.alert(m)", new Dictionary<string, object?>
        {
            ["alertId"] = alertId, ["version"] = version, ["msgType"] = version == 1 ? "Alert" : "Update", ["status"] = "Actual", ["severity"] = "Severe",
            ["urgency"] = "Immediate", ["event"] = "避難", ["headline"] = headline, ["body"] = "本文", ["instruction"] = null, ["language"] = "ja",
            ["areaName"] = "横手", ["sent"] = sent, ["expires"] = null, ["idempotencyKey"] = $"{alertId}:{version}",
        });
}
