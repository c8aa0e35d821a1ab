using System.Net.Http.Json;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

/// <summary>The publishing view on a hub of its own that publishes to Lアラート, calls and texts, through a node and a Twilio base
/// that do not answer (nothing listens on port 9).</summary>
public sealed class StaffPublishingTests(ITestOutputHelper output)
{
    private static Dictionary<string, string?> Settings() => new()
    {
        ["Channels:LAlert:Enabled"] = "true",
        ["Channels:LAlert:SenderId"] = "bousai.city.yokote.test",
        ["Channels:LAlert:ShelterCheckInterval"] = "00:00:01",
        ["Channels:LAlert:Nodes:0:Name"] = "primary",
        ["Channels:LAlert:Nodes:0:Url"] = "http://127.0.0.1:9/commons/subscriber/soap/primary/",
        ["Channels:LAlert:Nodes:0:Username"] = "yokote",
        ["Channels:LAlert:Nodes:0:Password"] = "browser-test-password",
        ["Channels:Voice:Enabled"] = "true",
        ["Channels:Voice:AccountSid"] = "AC" + new string('0', 32),
        ["Channels:Voice:AuthToken"] = "browser-test-auth-token",
        ["Channels:Voice:From"] = "+81182320000",
        ["Channels:Voice:ApiBaseUrl"] = "http://127.0.0.1:9/",
        ["Channels:Sms:Enabled"] = "true",
        ["Channels:Sms:AccountSid"] = "AC" + new string('0', 32),
        ["Channels:Sms:AuthToken"] = "browser-test-auth-token",
        ["Channels:Sms:From"] = "+81182320000",
        ["Channels:Sms:ApiBaseUrl"] = "http://127.0.0.1:9/",
    };

    [ToolFact("chromium")]
    public async Task Publishing_ShowsWhatWentToLAlert_AndThatTheNodeHasNotAcknowledgedIt()
    {
        await using var hub = await BrowserHub.StartAsync(Settings());
        using var api = hub.Admin();
        var opened = await api.PostAsJsonAsync("/api/shelters", new
        {
            name = "<img src=x onerror=alert(1)>横手体育館", location = new { lat = 39.311, lon = 140.553 }, status = "open", capacity = 300, occupancy = 42,
        });
        opened.EnsureSuccessStatusCode();
        var viewer = await hub.CreateStaffUserAsync("viewer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, viewer);
        var problems = ResidentPageTests.CollectProblems(page);

        await page.ClickAsync("#nav-publishing");

        var row = page.Locator("#lalert-table tbody tr", new() { HasText = "避難所情報" }).First;
        await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(row).ToContainTextAsync("新規");
        await Assertions.Expect(row).ToContainTextAsync("第1版");
        await Assertions.Expect(row).ToContainTextAsync("避難者 42人");
        await Assertions.Expect(row.Locator("li[data-node=primary]")).ToHaveAttributeAsync("data-state", "pending");
        await Assertions.Expect(row.Locator("li[data-node=primary]")).ToContainTextAsync("未受領");
        await Assertions.Expect(row.Locator("a", new() { HasText = "XML" })).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex(@"^/api/lalert/publications/\d+\.xml$"));
        Assert.Equal(0, await page.Locator("#lalert-table img").CountAsync());
        Assert.DoesNotContain("null", await page.Locator("#main").InnerTextAsync(), StringComparison.Ordinal);
        await BrowserHub.ScreenshotAsync(page, "staff-publishing", output);
        Assert.Empty(problems);
    }
}
