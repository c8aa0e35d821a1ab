using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

/// <summary>The board's 続報 under the two-person rule: an issuer's changed text waits for an approver, visibly.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BoardUpdateTests(BrowserHub hub, ITestOutputHelper output)
{
    [ToolFact("chromium")]
    public async Task Update_ByAnIssuerChangingTheText_IsSubmittedForApprovalAndNotSent()
    {
        var area = await hub.AddAreaAsync("続報テスト地区", "district", 39.52, 140.31, 0.004);
        var alert = await Staff.IssueExerciseAsync(hub, area, "続報テスト 第1報");
        var alertId = alert["id"]!.GetValue<string>();
        var issuer = await hub.CreateStaffUserAsync("issuer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, issuer);
        var problems = ResidentPageTests.CollectProblems(page);

        await page.GotoAsync($"/staff/#/board/{alertId}");
        await page.FillAsync("#update-headline-ja", "続報テスト 第2報 避難指示に引き上げ");
        await page.ClickAsync("#send-update");
        // The confirmation says it needs a second person; an issuer can only submit it.
        await Assertions.Expect(page.Locator("#confirm-route")).ToContainTextAsync("承認が必要");
        await Assertions.Expect(page.Locator("#confirm-send")).ToHaveTextAsync("承認を申請する");
        await page.ClickAsync("#confirm-send");

        await Assertions.Expect(page.Locator("#announcer")).ToContainTextAsync("承認を申請しました");
        using var admin = hub.Admin();
        var drafts = JsonNode.Parse(await admin.GetStringAsync("/api/alert-drafts?state=pending"))!.AsArray();
        var draft = Assert.Single(drafts, d => d!["updatesAlertId"]?.GetValue<string>() == alertId)!;
        Assert.Equal("続報テスト 第2報 避難指示に引き上げ", draft["request"]!["texts"]!["ja"]!["headline"]!.GetValue<string>());
        var versions = JsonNode.Parse(await admin.GetStringAsync($"/api/alerts/{alertId}"))!["versions"]!.AsArray();
        Assert.Single(versions);
        await BrowserHub.ScreenshotAsync(page, "staff-board-update-submitted", output);
        Assert.Empty(problems);
    }
}
