using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

[Collection(BrowserCollection.Name)]
public sealed partial class StaffDashboardTests(BrowserHub hub, ITestOutputHelper output)
{
    // Each test keeps its residents kilometres apart from the others', so counts never mix.
    private const double CenterLat = 39.3114, CenterLon = 140.5535;

    [ToolFact("chromium")]
    public async Task SignIn_WrongThenRightPassword_ShowsTheMapWithAreasAndTheKpiTile()
    {
        await hub.AddAreaAsync("地図テスト浸水想定", "flood", 39.30, 140.52, 0.004);
        var viewer = await hub.CreateStaffUserAsync("viewer");
        await using var context = await hub.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = ResidentPageTests.CollectProblems(page);
        await page.GotoAsync("/staff/");
        await page.FillAsync("#username", viewer);
        await page.FillAsync("#password", "not the password");
        await page.ClickAsync("form.signin button[type=submit]");
        await Assertions.Expect(page.Locator("#signin-error")).ToContainTextAsync("違います");
        await BrowserHub.ScreenshotAsync(page, "staff-sign-in", output);

        await page.FillAsync("#password", BrowserHub.Password);
        await page.ClickAsync("form.signin button[type=submit]");
        await Assertions.Expect(page.Locator("#nav-map")).ToHaveAttributeAsync("aria-current", "page");
        // A viewer sees no compose or admin page.
        Assert.Equal(0, await page.Locator("#nav-compose, #nav-admin").CountAsync());
        // Areas are vectors: drawn even without base tiles (other tests' areas may lie outside the view).
        await Assertions.Expect(page.Locator("#overview-map path.leaflet-interactive")).Not.ToHaveCountAsync(0);
        Assert.Equal(0, await page.Locator("#overview-map img.leaflet-tile").CountAsync());
        await Assertions.Expect(page.Locator("#kpi")).ToContainTextAsync(new Regex(@"プッシュ型情報発信手段: \d+ / 6"));
        await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        await BrowserHub.ScreenshotAsync(page, "staff-map", output);
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task Compose_DrawnPolygon_ShowsTheSameCountAsTheTargetingApi()
    {
        var inside = await Staff.ImportWebhookResidentsAsync(hub, 7, CenterLat, CenterLon);
        await Staff.ImportWebhookResidentsAsync(hub, 5, CenterLat + 0.2, CenterLon + 0.2);
        var issuer = await hub.CreateStaffUserAsync("issuer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, issuer);
        var problems = ResidentPageTests.CollectProblems(page);
        var lastPreviewRequest = Staff.WatchPreviewRequests(page);
        await page.ClickAsync("#nav-compose");
        var map = page.Locator("#compose-map");
        await Assertions.Expect(map).ToBeVisibleAsync();
        await map.ScrollIntoViewIfNeededAsync();

        // A box about 80 px either side of the map centre (the configured city hall) drawn corner by corner.
        await page.ClickAsync("#draw-polygon");
        var box = (await map.BoundingBoxAsync())!;
        var (cx, cy) = (box.Width / 2, box.Height / 2);
        foreach (var (dx, dy) in new[] { (-80, -60), (80, -60), (80, 60), (-80, 60) })
        {
            await map.ClickAsync(new LocatorClickOptions { Position = new Position { X = (float)(cx + dx), Y = (float)(cy + dy) } });
        }

        await page.ClickAsync("#draw-finish");
        await Assertions.Expect(page.Locator("#drawn-info")).ToContainTextAsync("1");
        await Assertions.Expect(page.Locator("#recipient-count")).ToHaveAttributeAsync("data-recipients", inside.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // What the page sent, asked again directly: the API's answer is what the page shows.
        var lastPreview = lastPreviewRequest();
        Assert.NotNull(lastPreview);
        Assert.Contains("\"Polygon\"", lastPreview, StringComparison.Ordinal);
        var api = await Staff.PreviewAsync(hub, lastPreview);
        Assert.Equal(inside, api["recipients"]!.GetValue<int>());
        // Channels are named in words, not by their code (webhook).
        await Assertions.Expect(page.Locator("#by-channel")).ToContainTextAsync($"Webhook（外部システム連携）{inside}");
        await BrowserHub.ScreenshotAsync(page, "staff-compose-drawn", output);
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task SubmitApproveAsSecondUser_DeliveryCountsRiseLiveOnTheBoard()
    {
        const int residents = 100;
        var areaName = $"配信テスト地区{Guid.NewGuid():N}"[..12];
        var areaId = await hub.AddAreaAsync(areaName, "district", 39.45, 140.70, 0.005);
        Assert.Equal(residents, await Staff.ImportWebhookResidentsAsync(hub, residents, 39.45, 140.70));
        var issuer = await hub.CreateStaffUserAsync("issuer");
        var approver = await hub.CreateStaffUserAsync("approver");
        var headline = $"承認テスト {Guid.NewGuid():N}"[..14];

        await using var issuerContext = await hub.NewContextAsync();
        var compose = await Staff.SignInAsync(issuerContext, issuer);
        await compose.ClickAsync("#nav-compose");
        await compose.CheckAsync($"input[name=area][value='{areaId}']");
        await Assertions.Expect(compose.Locator("#recipient-count")).ToHaveAttributeAsync("data-recipients", residents.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(compose.Locator("#mode-banner")).ToHaveAttributeAsync("data-mode", "exercise");
        await compose.FillAsync("#headline-ja", headline);
        await Assertions.Expect(compose.Locator("#channel-previews")).ToContainTextAsync("【訓練】" + headline);
        await compose.ClickAsync("#submit-draft");
        await Assertions.Expect(compose.Locator("#compose-result")).ToContainTextAsync("承認申請しました");
        await BrowserHub.ScreenshotAsync(compose, "staff-compose-submitted", output);

        // The author sees the draft waiting, and no way to approve it alone.
        await compose.ClickAsync("#nav-approvals");
        var own = compose.Locator("article.draft", new() { HasText = headline });
        await Assertions.Expect(own).ToContainTextAsync("自分の申請は承認できません");
        await Assertions.Expect(own.Locator("button.approve")).ToBeDisabledAsync();

        await using var approverContext = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(approverContext, approver);
        var problems = ResidentPageTests.CollectProblems(page);
        await page.ClickAsync("#nav-approvals");
        var card = page.Locator("article.draft", new() { HasText = headline });
        await Assertions.Expect(card).ToBeVisibleAsync();
        await BrowserHub.ScreenshotAsync(page, "staff-approvals", output);
        await page.EvaluateAsync("window.__sameDocument = true");

        hub.Webhooks.Hold(open: 50);
        try
        {
            await card.Locator("button.approve").ClickAsync();
            // Approving shows what is about to go out (a drill: one explicit click sends it).
            await Assertions.Expect(page.Locator("#confirm-count")).ToHaveAttributeAsync("data-recipients", residents.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.ClickAsync("#confirm-send");
            var delivered = page.Locator("#delivery-table tr[data-channel=webhook] td.delivered");
            // Part-way: the receiver holds everything after the first 50 requests, so the board must stop below 100…
            await Assertions.Expect(delivered).ToHaveTextAsync(new Regex("^(25|50)$"), new() { Timeout = 20_000 });
            await Assertions.Expect(page.Locator("#delivery-table tr[data-channel=webhook] td.targeted")).ToHaveTextAsync(residents.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await BrowserHub.ScreenshotAsync(page, "staff-board-partial", output);
            hub.Webhooks.Release();
            // …and rise to all of them without a reload once the receiver answers.
            await Assertions.Expect(delivered).ToHaveTextAsync(residents.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        }
        finally
        {
            hub.Webhooks.Release();
        }

        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the board reloaded the page instead of updating live");
        await Assertions.Expect(page.Locator("#coverage")).ToContainTextAsync("100%");
        await Assertions.Expect(page.Locator("#detail-title")).ToContainTextAsync(headline);
        await BrowserHub.ScreenshotAsync(page, "staff-board", output);
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task Compose_KeyboardOnly_SignsInPicksAreaAndAudienceAndSubmits()
    {
        var areaName = $"キーボード地区{Guid.NewGuid():N}"[..11];
        var areaId = await hub.AddAreaAsync(areaName, "district", 39.10, 140.30, 0.005);
        var issuer = await hub.CreateStaffUserAsync("issuer");
        await using var context = await hub.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/staff/");
        await Assertions.Expect(page.Locator("#username")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(issuer);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(BrowserHub.Password);
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#nav-compose").WaitForAsync();
        // The first view (the map) moves focus to the main region once it has loaded, as after every navigation:
        // wait for it, as a keyboard user would, rather than race it.
        await page.WaitForFunctionAsync("() => document.getElementById('view-map') && document.activeElement === document.getElementById('main')");

        await TabToAsync(page, "#nav-compose");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#compose-form").WaitForAsync();
        await TabToAsync(page, $"input[name=area][value='{areaId}']");
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "input[name=householdTag][value=elderly]");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.Locator("#recipient-count")).ToHaveAttributeAsync("data-recipients", "0");
        await TabToAsync(page, "#submit-draft");
        // The focused control is visibly marked.
        Assert.NotEqual("none", await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        await BrowserHub.ScreenshotAsync(page, "staff-compose-keyboard", output);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#compose-result")).ToContainTextAsync("承認申請しました");

        using var admin = hub.Admin();
        var drafts = JsonNode.Parse(await admin.GetStringAsync("/api/alert-drafts?state=pending"))!.AsArray();
        Assert.Contains(drafts, d => d!["request"]?["area"]?["areaIds"]?[0]?.GetValue<string>() == areaId
                                     && d["request"]?["audience"]?["householdTags"]?["any"]?[0]?.GetValue<string>() == "elderly");
    }

    [ToolFact("chromium")]
    public async Task Compose_CircleTypedByKeyboard_CountsLikeTheApiAndCanBeRemovedOnItsOwn()
    {
        const double lat = 39.60, lon = 140.90;
        var inside = await Staff.ImportWebhookResidentsAsync(hub, 6, lat, lon);
        await Staff.ImportWebhookResidentsAsync(hub, 4, lat, lon + 0.07); // about 6 km east: outside a 2 km circle
        var issuer = await hub.CreateStaffUserAsync("issuer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, issuer);
        var problems = ResidentPageTests.CollectProblems(page);
        var lastPreviewRequest = Staff.WatchPreviewRequests(page);
        await page.ClickAsync("#nav-compose");
        await page.Locator("#compose-form").WaitForAsync();
        await page.WaitForFunctionAsync("() => document.activeElement === document.getElementById('main')");

        // Keyboard only: open the section, type the centre and radius, add.
        await TabToAsync(page, "#circle-by-coordinates > summary");
        await page.Keyboard.PressAsync("Enter");
        await TabToAsync(page, "#circle-lat");
        await page.Keyboard.TypeAsync("39.6");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("140.9");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("0"); // refused: a radius of nothing
        await TabToAsync(page, "#circle-add");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#circle-error")).ToContainTextAsync("半径");
        await Assertions.Expect(page.Locator("#circle-radius")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#drawn-list li")).ToHaveCountAsync(0);

        await page.Keyboard.PressAsync("Backspace");
        await page.Keyboard.TypeAsync("2");
        await TabToAsync(page, "#circle-add");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#circle-error")).ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#drawn-list li")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#drawn-list li")).ToContainTextAsync("半径 2 km");
        await Assertions.Expect(page.Locator("#recipient-count")).ToHaveAttributeAsync("data-recipients", inside.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The page asked for exactly that circle; the API's answer is what it shows.
        var lastPreview = lastPreviewRequest();
        Assert.NotNull(lastPreview);
        var circle = JsonNode.Parse(lastPreview)!["area"]!["circles"]![0]!;
        Assert.Equal((lat, lon, 2000), (circle["lat"]!.GetValue<double>(), circle["lon"]!.GetValue<double>(), circle["radiusMeters"]!.GetValue<int>()));
        Assert.Equal(inside, (await Staff.PreviewAsync(hub, lastPreview))["recipients"]!.GetValue<int>());
        await BrowserHub.ScreenshotAsync(page, "staff-compose-typed-circle", output);

        // Its own remove button takes just that shape away, and the count with it.
        await TabToAsync(page, "#drawn-list .remove-shape");
        Assert.Contains("半径 2 km", await page.Locator("#drawn-list .remove-shape").GetAttributeAsync("aria-label"), StringComparison.Ordinal);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#drawn-list li")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#recipient-count")).ToHaveTextAsync("—");
        Assert.Null(await page.Locator("#recipient-count").GetAttributeAsync("data-recipients"));
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task Compose_At200PercentZoom_HasNoHorizontalScrollAndKeepsTheMainControls()
    {
        var issuer = await hub.CreateStaffUserAsync("issuer");
        await using var context = await hub.NewContextAsync(640, 450, 2);
        var page = await Staff.SignInAsync(context, issuer);
        await page.ClickAsync("#nav-compose");
        await page.Locator("#compose-form").WaitForAsync();
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= document.documentElement.clientWidth"),
            "the compose page scrolls sideways at 200% zoom");
        foreach (var selector in new[] { "#hazard", "#draw-polygon", "#area-list", "#recipient-count", "#submit-draft" })
        {
            var control = page.Locator(selector);
            await control.ScrollIntoViewIfNeededAsync();
            await Assertions.Expect(control).ToBeVisibleAsync();
            var box = (await control.BoundingBoxAsync())!;
            Assert.True(box.X >= 0 && box.X + box.Width <= 640.5, $"{selector} sticks out: {box.X}+{box.Width}");
        }

        await BrowserHub.ScreenshotAsync(page, "staff-compose-200pct", output);

        // English on request: the menu and the compose page switch, and the choice is kept for the next visit.
        await page.ClickAsync("#lang-toggle");
        await Assertions.Expect(page.Locator("#nav-compose")).ToHaveTextAsync("Compose");
        await Assertions.Expect(page.Locator("#compose-title")).ToHaveTextAsync("Compose an alert");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#nav-compose")).ToHaveTextAsync("Compose");
    }

    [ToolFact("chromium")]
    public async Task Compose_SwitchingLanguageMidway_KeepsWhatWasEntered()
    {
        var areaId = await hub.AddAreaAsync($"言語切替地区{Guid.NewGuid():N}"[..11], "district", 39.12, 140.32, 0.005);
        var issuer = await hub.CreateStaffUserAsync("issuer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, issuer);
        await page.ClickAsync("#nav-compose");
        await page.Locator("#compose-form").WaitForAsync();
        await page.FillAsync("#headline-ja", "横手川 氾濫危険 (書きかけ)");
        await page.Locator("#exercise").UncheckAsync();
        await page.Locator($"#area-list input[name=area][value='{areaId}']").CheckAsync();

        await page.ClickAsync("#lang-toggle");
        await Assertions.Expect(page.Locator("#compose-title")).ToHaveTextAsync("Compose an alert");

        await Assertions.Expect(page.Locator("#headline-ja")).ToHaveValueAsync("横手川 氾濫危険 (書きかけ)");
        await Assertions.Expect(page.Locator("#exercise")).Not.ToBeCheckedAsync();
        await Assertions.Expect(page.Locator($"#area-list input[name=area][value='{areaId}']")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#mode-banner")).ToHaveAttributeAsync("data-mode", "actual");
    }

    /// <summary>Presses Tab until the element is focused (bounded), as a keyboard-only user would.</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await page.Locator(selector).EvaluateAsync<bool>("el => el === document.activeElement"))
            {
                return;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        throw new Xunit.Sdk.XunitException($"{selector} could not be reached with Tab");
    }
}
