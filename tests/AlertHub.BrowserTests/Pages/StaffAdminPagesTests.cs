using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

[Collection(BrowserCollection.Name)]
public sealed class StaffAdminPagesTests(BrowserHub hub, ITestOutputHelper output)
{
    [ToolFact("chromium")]
    public async Task Admin_AddsAndUpdatesAShelter_CreatesAStaffUser_AndOpensTheEventsList()
    {
        var admin = await hub.CreateStaffUserAsync("admin");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, admin);
        var problems = ResidentPageTests.CollectProblems(page);

        var shelterName = $"テスト避難所{Guid.NewGuid():N}"[..10];
        await page.ClickAsync("#nav-shelters");
        await page.FillAsync("#new-name", shelterName);
        await page.FillAsync("#new-lat", "39.3101");
        await page.FillAsync("#new-lon", "140.5502");
        await page.FillAsync("#new-capacity", "120");
        await page.ClickAsync("form[aria-labelledby=add-shelter] button[type=submit]");
        var row = page.Locator("tr.shelter", new() { HasText = shelterName });
        await Assertions.Expect(row).ToBeVisibleAsync();
        await row.Locator("select").SelectOptionAsync("open");
        await row.Locator("input[id^=occupancy-]").FillAsync("15");
        await row.Locator("button", new() { HasText = "保存" }).ClickAsync();
        using var api = hub.Admin();
        await EventuallyAsync(async () =>
        {
            var shelters = JsonNode.Parse(await api.GetStringAsync("/api/shelters"))!.AsArray();
            var saved = shelters.FirstOrDefault(s => s!["name"]!.GetValue<string>() == shelterName);
            return saved?["status"]?.GetValue<string>() == "open" && saved["occupancy"]?.GetValue<int>() == 15 && saved["capacity"]?.GetValue<int>() == 120;
        }, "the shelter edit reached the hub");
        await BrowserHub.ScreenshotAsync(page, "staff-shelters", output);

        var newUser = $"clerk{Guid.NewGuid():N}"[..12];
        await page.ClickAsync("#nav-admin");
        await page.FillAsync("#new-username", newUser);
        await page.FillAsync("#new-display-name", "窓口 担当");
        await page.FillAsync("#new-password", BrowserHub.Password);
        await page.CheckAsync("input[name=role][value=viewer]");
        await page.ClickAsync("form:has(#new-username) button[type=submit]");
        await Assertions.Expect(page.Locator("table", new() { HasText = newUser })).ToBeVisibleAsync();
        var users = JsonNode.Parse(await api.GetStringAsync("/api/staff/users"))!.AsArray();
        Assert.Contains(users, u => u!["username"]!.GetValue<string>() == newUser && u["roles"]!.AsArray().Any(r => r!.GetValue<string>() == "viewer"));
        await BrowserHub.ScreenshotAsync(page, "staff-admin", output);

        await page.ClickAsync("#nav-events");
        await Assertions.Expect(page.Locator("#events-table")).ToBeVisibleAsync();
        await page.ClickAsync("#nav-map");
        await Assertions.Expect(page.Locator("#overview-map")).ToBeVisibleAsync();
        Assert.Empty(problems);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out: {what}");
            await Task.Delay(100);
        }
    }
}
