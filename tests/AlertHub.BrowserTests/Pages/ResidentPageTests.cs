using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

[Collection(BrowserCollection.Name)]
public sealed class ResidentPageTests(BrowserHub hub, ITestOutputHelper output)
{
    [ToolFact("chromium")]
    public async Task Register_ByDistrictName_ReceivesAlertLiveAndKeepsItInTheInbox()
    {
        var district = $"浅舞テスト{Guid.NewGuid():N}"[..10];
        var areaId = await hub.AddAreaAsync(district, "district", 39.20, 140.45, 0.01);
        await using var context = await hub.NewContextAsync(390, 844, 2);
        var page = await context.NewPageAsync();
        var problems = CollectProblems(page);
        var console = new List<string>();
        page.Console += (_, m) => { lock (console) { console.Add($"{m.Type}: {m.Text}"); } };
        await page.GotoAsync("/");

        await page.FillAsync("#place-search", district);
        await page.ClickAsync("#add-place");
        await Assertions.Expect(page.Locator("#places li")).ToContainTextAsync(district);
        await page.CheckAsync("input[name=householdTag][value=elderly]");
        await page.SelectOptionAsync("#language", "ja");
        await page.ClickAsync("#save");
        await Assertions.Expect(page.Locator("#form-result")).ToContainTextAsync("登録しました");
        var saved = JsonNode.Parse(await page.EvaluateAsync<string>("localStorage.getItem('alerthub.resident')"))!;
        var residentId = saved["id"]!.GetValue<string>();
        var token = saved["token"]!.GetValue<string>();

        // The hub stored what the page sent: the named place, the household tag, this page as a channel.
        using (var anonymous = hub.Anonymous())
        {
            anonymous.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var resident = JsonNode.Parse(await anonymous.GetStringAsync($"/api/residents/{residentId}"))!;
            Assert.Equal(39.20, resident["places"]![0]!["lat"]!.GetValue<double>(), 2);
            Assert.Equal("elderly", resident["attributes"]!["householdTags"]![0]!.GetValue<string>());
            Assert.Contains(resident["endpoints"]!.AsArray(), e => e!["channel"]!.GetValue<string>() == "signalr");
        }

        var headline = $"横手川 氾濫危険 {Guid.NewGuid():N}"[..20];
        var issued = await Staff.IssueExerciseAsync(hub, areaId, headline);
        Assert.True(issued["recipients"]!.GetValue<int>() == 1, issued.ToJsonString());
        var alertId = issued["id"]!.GetValue<string>();
        try
        {
            await Assertions.Expect(page.Locator("#live-alert")).ToContainTextAsync(headline, new() { Timeout = 20_000 });
        }
        catch (PlaywrightException e)
        {
            throw new Xunit.Sdk.XunitException($"no live alert; page console: {string.Join(" | ", console)}\n{e.Message}");
        }
        await Assertions.Expect(page.Locator("#inbox")).ToContainTextAsync(headline);
        await BrowserHub.ScreenshotAsync(page, "resident-registered-alert", output);

        // A push that was missed: a fresh load (no live message) still shows the alert from the inbox.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#inbox li").First).ToContainTextAsync(headline);
        await Assertions.Expect(page.Locator("#live-alert")).ToBeEmptyAsync();

        // 安否: "safe" reaches the staff's safety list for this alert.
        await page.ClickAsync("#safe");
        await Assertions.Expect(page.Locator("#safety-result")).ToContainTextAsync("送信しました");
        using (var admin = hub.Admin())
        {
            var replies = JsonNode.Parse(await admin.GetStringAsync($"/api/safety?alertId={alertId}"))!["features"]!.AsArray();
            Assert.Contains(replies, f => f!["properties"]?["status"]?.GetValue<string>() == "safe");
        }

        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task LargeTextAt200PercentZoom_HasNoHorizontalScrollAndKeepsTheMainControls()
    {
        // 200% zoom of a 1280 px window: 640 CSS px wide at device scale 2.
        await using var context = await hub.NewContextAsync(640, 450, 2);
        var page = await context.NewPageAsync();
        var problems = CollectProblems(page);
        await page.GotoAsync("/");
        await page.ClickAsync("#large-text");
        await Assertions.Expect(page.Locator("#large-text")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.SelectOptionAsync("#ui-language", "en");
        await Assertions.Expect(page.Locator("#register-title")).ToHaveTextAsync("Sign up for alerts");

        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= document.documentElement.clientWidth"),
            "the page scrolls sideways at 200% zoom");
        foreach (var selector in new[] { "#place-search", "#add-place", "#language", "#save" })
        {
            var box = await page.Locator(selector).BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 640.5, $"{selector} sticks out: {box.X}+{box.Width}");
        }

        await BrowserHub.ScreenshotAsync(page, "resident-large-text-200pct", output);
        Assert.Empty(problems);
    }

    /// <summary>Script errors and console errors such as CSP refusals. HTTP error answers are not counted: the pages
    /// expect some (401 before sign-in, 404 where an optional feature is not installed) and handle them.</summary>
    internal static List<string> CollectProblems(IPage page)
    {
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                lock (problems) { problems.Add($"{message.Text} ({message.Location})"); }
            }
        };
        page.PageError += (_, error) => { lock (problems) { problems.Add(error); } };
        return problems;
    }
}
