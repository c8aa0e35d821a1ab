using System.Net.Http.Json;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

/// <summary>A hub that publishes to Lアラート through a node that does not answer (nothing listens on its port).</summary>
public sealed class PublishingBrowserHub : BrowserHub
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => new Dictionary<string, string?>
    {
        ["Channels:LAlert:Enabled"] = "true",
        ["Channels:LAlert:SenderId"] = "bousai.city.yokote.test",
        ["Channels:LAlert:ShelterCheckInterval"] = "00:00:01",
        ["Channels:LAlert:Nodes:0:Name"] = "primary",
        ["Channels:LAlert:Nodes:0:Url"] = "http://127.0.0.1:9/commons/subscriber/soap/primary/",
        ["Channels:LAlert:Nodes:0:Username"] = "yokote",
        ["Channels:LAlert:Nodes:0:Password"] = "browser-test-password",
    };
}

[CollectionDefinition(Name)]
public sealed class PublishingBrowserCollection : ICollectionFixture<PublishingBrowserHub>
{
    public const string Name = "browser-publishing";
}

[Collection(PublishingBrowserCollection.Name)]
public sealed class StaffPublishingTests(PublishingBrowserHub hub, ITestOutputHelper output)
{
    [ToolFact("chromium")]
    public async Task Publishing_ShowsWhatWentToLAlert_AndThatTheNodeHasNotAcknowledgedIt()
    {
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
        await Assertions.Expect(page.Locator("#telephony-attempts")).ToContainTextAsync("有効になっていません");
        Assert.Equal(0, await page.Locator("#lalert-table img").CountAsync());
        Assert.DoesNotContain("null", await page.Locator("#main").InnerTextAsync(), StringComparison.Ordinal);
        await BrowserHub.ScreenshotAsync(page, "staff-publishing", output);
        Assert.Empty(problems);
    }
}
