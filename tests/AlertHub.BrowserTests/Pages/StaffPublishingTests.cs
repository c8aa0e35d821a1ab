using System.Net.Http.Json;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

/// <summary>A hub that publishes to Lアラート, calls and texts, through a node and a Twilio base that do not answer (nothing listens on port 9).</summary>
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
        Assert.Equal(0, await page.Locator("#lalert-table img").CountAsync());
        Assert.DoesNotContain("null", await page.Locator("#main").InnerTextAsync(), StringComparison.Ordinal);
        await BrowserHub.ScreenshotAsync(page, "staff-publishing", output);
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task ResidentPage_LandlineForCallsAndMobileForSms_AreRegisteredInE164_AndALandlineForSmsIsRefused()
    {
        var district = $"増田テスト{Guid.NewGuid():N}"[..10];
        await hub.AddAreaAsync(district, "district", 39.21, 140.56, 0.01);
        await using var context = await hub.NewContextAsync(390, 844, 2);
        var page = await context.NewPageAsync();
        var problems = ResidentPageTests.CollectProblems(page);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#phone-option")).ToBeVisibleAsync();

        await page.FillAsync("#place-search", district);
        await page.ClickAsync("#add-place");
        await page.FillAsync("#phone", "0182-32-2111");
        await page.CheckAsync("#channel-voice");
        await page.CheckAsync("#channel-sms");
        await page.ClickAsync("#save");
        await Assertions.Expect(page.Locator("#form-error")).ToContainTextAsync("residents.phone_not_mobile");

        await page.UncheckAsync("#channel-sms");
        await page.ClickAsync("#save");
        await Assertions.Expect(page.Locator("#form-result")).ToContainTextAsync("登録しました");
        var saved = System.Text.Json.Nodes.JsonNode.Parse(await page.EvaluateAsync<string>("localStorage.getItem('alerthub.resident')"))!;
        using var anonymous = hub.Anonymous();
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", saved["token"]!.GetValue<string>());
        var resident = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync($"/api/residents/{saved["id"]!.GetValue<string>()}"))!;
        Assert.Contains(resident["endpoints"]!.AsArray(), e => e!["channel"]!.GetValue<string>() == "voice" && e["address"]!.GetValue<string>() == "+81182322111");
        Assert.DoesNotContain(resident["endpoints"]!.AsArray(), e => e!["channel"]!.GetValue<string>() == "sms");

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#channel-voice")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#phone")).ToHaveValueAsync("+81182322111");
        await BrowserHub.ScreenshotAsync(page, "resident-phone", output);
        Assert.Empty(problems);
    }
}
