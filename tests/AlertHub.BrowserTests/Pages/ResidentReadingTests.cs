using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

/// <summary>
/// Console issue, problem 9 — what residents read: drawn areas named after the places they cover, the area of every
/// alert (the 避難指示 template says only 「対象地域」), the instruction under its own heading, 町字 search on the real
/// points, a map tap that asks first, 受け取りました kept across reloads, the nearest open shelters, and the page's own
/// markers in kana for やさしい日本語 readers. Each test works on its own spot of the map, away from the others.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ResidentReadingTests(BrowserHub hub, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }

    [ToolFact("chromium")]
    public async Task DrawnCircle_InTheInbox_IsNamedAfterTheTownAtItsCentreWithARoundRadius()
    {
        const double lat = 39.055, lon = 140.455;
        var town = $"テスト{Guid.NewGuid():N}"[..9] + "町";
        await ImportTownsAsync(new { type = "FeatureCollection", features = new[] { TownFeature(town, "", lat, lon) } });
        var resident = await RegisterAsync(lat + 0.001, lon);

        await IssueAsync(new { circles = new[] { new { lat, lon, radiusMeters = 2658 } } }, "大雨 テスト", "大雨による浸水に警戒してください。", "早めに避難してください。");

        var page = await OpenAsync(resident);
        var area = page.Locator("#inbox li .inbox-area").First;
        await Assertions.Expect(area).ToHaveTextAsync($"対象地域: {town}付近から半径約2.7km");
        await Assertions.Expect(page.Locator("#inbox")).Not.ToContainTextAsync("2658");
        await Assertions.Expect(page.Locator("#inbox")).Not.ToContainTextAsync("描画区域");
    }

    [ToolFact("chromium")]
    public async Task EvacuationOrder_WrittenWithTheComposeTemplate_NamesItsAreaInTheInbox()
    {
        const double lat = 39.065, lon = 140.475;
        var district = $"大雄テスト{Guid.NewGuid():N}"[..10];
        var areaId = await hub.AddAreaAsync(district, "district", lat, lon, 0.01);
        var resident = await RegisterAsync(lat, lon);

        // The staff 避難指示 template as it stands («対象地域に…»), and the same with {area} where the name belongs.
        await IssueAsync(new { areaIds = new[] { areaId } }, "【警戒レベル4】避難指示", "対象地域に避難指示を発令しました。", "危険な場所から全員避難してください。", @event: "避難指示");
        await IssueAsync(new { areaIds = new[] { areaId } }, "【警戒レベル4】避難指示（{area}）", "{area}に避難指示を発令しました。", "危険な場所から全員避難してください。", @event: "避難指示");

        var page = await OpenAsync(resident);
        var items = page.Locator("#inbox li[data-alert-id]");
        await Assertions.Expect(items).ToHaveCountAsync(2);
        foreach (var item in await items.AllAsync())
        {
            await Assertions.Expect(item.Locator(".inbox-area")).ToHaveTextAsync($"対象地域: {district}");
        }

        await Assertions.Expect(items.First.Locator("h3")).ToHaveTextAsync($"【訓練】【警戒レベル4】避難指示（{district}）");
        await Assertions.Expect(items.First.Locator(".inbox-body")).ToHaveTextAsync($"これは訓練です。{district}に避難指示を発令しました。");
        await Assertions.Expect(page.Locator("#inbox")).Not.ToContainTextAsync("{area}");
    }

    [ToolFact("chromium")]
    public async Task Inbox_ShowsTheInstructionUnderItsOwnHeading()
    {
        const double lat = 39.075, lon = 140.495;
        var resident = await RegisterAsync(lat, lon);
        await IssueAsync(new { circles = new[] { new { lat, lon, radiusMeters = 300 } } }, "横手川 氾濫危険", "横手川が氾濫危険水位に達しました。", "高い所へ避難してください。");

        var page = await OpenAsync(resident);

        var instruction = page.Locator("#inbox li .inbox-instruction").First;
        await Assertions.Expect(instruction).ToHaveTextAsync("とるべき行動: 高い所へ避難してください。");
        await Assertions.Expect(instruction.Locator("strong")).ToHaveTextAsync("とるべき行動: ");
    }

    [ChromiumSharedDataFact]
    public async Task TownSearch_WithTheRealTownPointsImported_PutsThePinOnTheTownPointNotTheDistrictCentre()
    {
        var file = SharedData.Path("geo", "subareas", "yokote_town_points.geojson")!;
        var points = JsonNode.Parse(await File.ReadAllTextAsync(file))!["features"]!.AsArray();
        (double Lat, double Lon) PointOf(string town, string koaza)
        {
            var f = points.Single(f => f!["properties"]!["town"]!.GetValue<string>() == town && f["properties"]!["koaza"]!.GetValue<string>() == koaza)!;
            var c = f["geometry"]!["coordinates"]!.AsArray();
            return (c[1]!.GetValue<double>(), c[0]!.GetValue<double>());
        }

        using (var admin = hub.Admin())
        {
            using var content = new StreamContent(File.OpenRead(file));
            content.Headers.ContentType = new("application/geo+json");
            var imported = await admin.PostAsync("/api/places/towns?attribution=" + Uri.EscapeDataString("「Geolonia 住所データ」(CC BY 4.0)"), content);
            var body = await imported.Content.ReadAsStringAsync();
            Assert.True(imported.IsSuccessStatusCode, body);
            Assert.Equal(1158, JsonNode.Parse(body)!["imported"]!.GetValue<int>());
        }

        await using var context = await hub.NewContextAsync(390, 844, 2);
        var page = await context.NewPageAsync();
        var problems = ResidentPageTests.CollectProblems(page);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#place-credit")).ToHaveTextAsync("町字の位置: 「Geolonia 住所データ」(CC BY 4.0)");

        await page.FillAsync("#place-search", "朝倉町");
        await page.ClickAsync("#add-place");
        await Assertions.Expect(page.Locator("#places li")).ToContainTextAsync("朝倉町");
        await page.FillAsync("#place-search", "赤川 樋掛");
        await page.ClickAsync("#add-place");

        var places = page.Locator("#places li");
        await Assertions.Expect(places).ToHaveCountAsync(2);
        await Assertions.Expect(places.Nth(0)).ToContainTextAsync("朝倉町");
        await Assertions.Expect(places.Nth(1)).ToContainTextAsync("赤川 樋掛");
        foreach (var (index, town, koaza) in new[] { (0, "朝倉町", ""), (1, "赤川", "樋掛") })
        {
            var expected = PointOf(town, koaza);
            var lat = double.Parse((await places.Nth(index).GetAttributeAsync("data-lat"))!, CultureInfo.InvariantCulture);
            var lon = double.Parse((await places.Nth(index).GetAttributeAsync("data-lon"))!, CultureInfo.InvariantCulture);
            Assert.Equal(expected.Lat, lat, 6);
            Assert.Equal(expected.Lon, lon, 6);
        }

        await BrowserHub.ScreenshotAsync(page, "resident-town-search", output);
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task MapTap_AsksBeforeAddingAPlace_AndACancelAddsNothing()
    {
        await using var context = await hub.NewContextAsync(390, 844, 2);
        var page = await context.NewPageAsync();
        var problems = ResidentPageTests.CollectProblems(page);
        await page.GotoAsync("/");
        var map = page.Locator("#resident-map");
        await map.ScrollIntoViewIfNeededAsync();

        await map.ClickAsync(new() { Position = new() { X = 120, Y = 120 } });

        await Assertions.Expect(page.Locator("#map-confirm")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#map-confirm")).ToContainTextAsync("追加しますか");
        await Assertions.Expect(page.Locator("#places li")).ToHaveTextAsync("まだ場所がありません。");
        await Assertions.Expect(page.Locator("#map-confirm-add")).ToBeFocusedAsync();
        await page.ClickAsync("#map-confirm-cancel");
        await Assertions.Expect(page.Locator("#map-confirm")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#places li")).ToHaveTextAsync("まだ場所がありません。");

        await map.ClickAsync(new() { Position = new() { X = 160, Y = 140 } });
        await page.ClickAsync("#map-confirm-add");
        await Assertions.Expect(page.Locator("#places li")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#map-confirm")).ToBeHiddenAsync();
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task Acknowledgement_IsStillShownAfterAReload()
    {
        const double lat = 39.085, lon = 140.515;
        var resident = await RegisterAsync(lat, lon);
        await IssueAsync(new { circles = new[] { new { lat, lon, radiusMeters = 300 } } }, "土砂災害警戒情報", "土砂災害の危険度が高まっています。", "崖から離れてください。");
        var page = await OpenAsync(resident);
        var item = page.Locator("#inbox li[data-alert-id]").First;

        await item.Locator("button.ack").ClickAsync();
        await Assertions.Expect(item.Locator(".acked")).ToHaveTextAsync("受け取りを伝えました。");
        await page.ReloadAsync();

        item = page.Locator("#inbox li[data-alert-id]").First;
        await Assertions.Expect(item.Locator(".acked")).ToHaveTextAsync("受け取りを伝えました。");
        await Assertions.Expect(item.Locator("button.ack")).ToHaveCountAsync(0);
    }

    [ToolFact("chromium")]
    public async Task NearestOpenShelters_AreListedNearestFirst_WithClosedAndFullOnesLeftOut()
    {
        const double lat = 39.095, lon = 140.535;
        var tag = Guid.NewGuid().ToString("N")[..6];
        using (var admin = hub.Admin())
        {
            foreach (var (name, dLat, status) in new[]
                     {
                         ($"閉鎖中の公民館{tag}", 0.002, "closed"), ($"満員の体育館{tag}", 0.004, "full"), ($"開設中の小学校{tag}", 0.010, "open"),
                         ($"混雑の中学校{tag}", 0.020, "crowded"), ($"遠くの高校{tag}", 0.300, "open"),
                     })
            {
                var created = await admin.PostAsJsonAsync("/api/shelters", new { name, location = new { lat = lat + dLat, lon }, status, capacity = 100, occupancy = 10 });
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            }
        }

        var resident = await RegisterAsync(lat, lon, label: "自宅");
        await IssueAsync(new { circles = new[] { new { lat, lon, radiusMeters = 300 } } }, "避難所を開設しました", "市内の避難所を開設しました。", "近くの避難所へ避難してください。");
        var page = await OpenAsync(resident);

        var shelters = page.Locator("#shelter-list li");
        await Assertions.Expect(shelters.First).ToContainTextAsync($"開設中の小学校{tag}");
        await Assertions.Expect(shelters.First).ToContainTextAsync("自宅から約1.1km");
        await Assertions.Expect(shelters.First).ToContainTextAsync("開設中");
        await Assertions.Expect(shelters.Nth(1)).ToContainTextAsync($"混雑の中学校{tag}");
        await Assertions.Expect(shelters.Nth(1)).ToContainTextAsync("自宅から約2.2km");
        await Assertions.Expect(page.Locator("#shelter-list")).Not.ToContainTextAsync($"閉鎖中の公民館{tag}");
        await Assertions.Expect(page.Locator("#shelter-list")).Not.ToContainTextAsync($"満員の体育館{tag}");
        await BrowserHub.ScreenshotAsync(page, "resident-inbox-shelters", output);
    }

    [ToolFact("chromium")]
    public async Task LiveAlert_OnAnOpenPage_NamesTheAreaTheInstructionAndTheNearestOpenShelter()
    {
        const double lat = 39.115, lon = 140.575;
        var tag = Guid.NewGuid().ToString("N")[..6];
        var district = $"山内テスト{tag}";
        var areaId = await hub.AddAreaAsync(district, "district", lat, lon, 0.01);
        using (var admin = hub.Admin())
        {
            foreach (var (name, dLat, status) in new[] { ($"閉鎖中の集会所{tag}", 0.001, "closed"), ($"開設中の分校{tag}", 0.005, "open") })
            {
                var created = await admin.PostAsJsonAsync("/api/shelters", new { name, location = new { lat = lat + dLat, lon }, status, capacity = 50, occupancy = 0 });
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            }
        }

        var resident = await RegisterAsync(lat, lon, label: "自宅");
        var context = await hub.NewContextAsync(390, 844, 2);
        _contexts.Add(context);
        await context.AddInitScriptAsync($"localStorage.setItem('alerthub.resident', JSON.stringify({{ id: '{resident.Id}', token: '{resident.Token}' }}))");
        var page = await context.NewPageAsync();
        var problems = ResidentPageTests.CollectProblems(page);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#shelter-list")).ToContainTextAsync($"開設中の分校{tag}");

        // The 避難指示 template as staff send it today: 「対象地域に…」 without naming it. The open page must say where.
        await IssueAsync(new { areaIds = new[] { areaId } }, "【警戒レベル4】避難指示", "対象地域に避難指示を発令しました。", "危険な場所から全員避難してください。", @event: "避難指示");

        var live = page.Locator("#live-alert .live-alert");
        await Assertions.Expect(live).ToContainTextAsync("【訓練】【警戒レベル4】避難指示", new() { Timeout = 20_000 });
        await Assertions.Expect(live).ToContainTextAsync($"対象地域: {district}");
        await Assertions.Expect(live).ToContainTextAsync("とるべき行動: 危険な場所から全員避難してください。");
        await Assertions.Expect(live.Locator(".live-shelter")).ToHaveTextAsync($"近くの開いている避難所: 開設中の分校{tag}（自宅から約560m）");
        await Assertions.Expect(live).Not.ToContainTextAsync($"閉鎖中の集会所{tag}");
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task EasyJapaneseAlert_IsMarkedInKanaByThePageToo()
    {
        const double lat = 39.105, lon = 140.555;
        var resident = await RegisterAsync(lat, lon, language: "ja-x-easy");
        using (var admin = hub.Admin())
        {
            var issued = await admin.PostAsJsonAsync("/api/alerts", new
            {
                status = "Exercise", msgType = "Alert", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
                area = new { circles = new[] { new { lat, lon, radiusMeters = 300 } } },
                texts = new Dictionary<string, object>
                {
                    ["ja"] = new { headline = "横手川 氾濫危険", body = "横手川が氾濫危険水位に達しました。", instruction = "高い所へ避難してください。" },
                    ["ja-x-easy"] = new { headline = "川の 水が あふれそうです", body = "川の 水が とても 多く なりました。", instruction = "たかい ところへ にげて ください。" },
                },
            });
            Assert.Equal(HttpStatusCode.Accepted, issued.StatusCode);
        }

        var page = await OpenAsync(resident);
        var item = page.Locator("#inbox li[data-alert-id]").First;
        await Assertions.Expect(item.Locator("h3")).ToHaveTextAsync("【くんれん】川の 水が あふれそうです");
        await Assertions.Expect(item.Locator(".inbox-meta")).ToContainTextAsync("くんれん");
        await Assertions.Expect(item.Locator(".inbox-instruction strong")).ToHaveTextAsync("すること: ");
        await Assertions.Expect(item.Locator(".inbox-area strong")).ToHaveTextAsync("ばしょ: ");
        await Assertions.Expect(item.Locator("button.ack")).ToHaveTextAsync("うけとりました");
        Assert.DoesNotContain("訓練", await item.TextContentAsync(), StringComparison.Ordinal);
    }

    private static object TownFeature(string town, string koaza, double lat, double lon) => new
    {
        type = "Feature", properties = new { town, koaza }, geometry = new { type = "Point", coordinates = new[] { lon, lat } },
    };

    private async Task ImportTownsAsync(object collection)
    {
        using var admin = hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/places/towns", collection);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<(string Id, string Token)> RegisterAsync(double lat, double lon, string language = "ja", string label = "自宅")
    {
        using var anonymous = hub.Anonymous();
        var response = await anonymous.PostAsJsonAsync("/api/residents", new
        {
            attributes = new { householdTags = Array.Empty<string>(), language },
            places = new[] { new { label, lat, lon } },
            endpoints = new[] { new { channel = "signalr" } },
        });
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, created.ToJsonString());
        return (created["id"]!.GetValue<string>(), created["token"]!.GetValue<string>());
    }

    private async Task IssueAsync(object area, string headline, string body, string instruction, string @event = "洪水")
    {
        using var admin = hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/alerts", new
        {
            status = "Exercise", msgType = "Alert", @event, severity = "Severe", urgency = "Immediate", certainty = "Likely", area,
            texts = new Dictionary<string, object> { ["ja"] = new { headline, body, instruction } },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    private async Task<IPage> OpenAsync((string Id, string Token) resident)
    {
        var context = await hub.NewContextAsync(390, 844, 2);
        _contexts.Add(context);
        await context.AddInitScriptAsync($"localStorage.setItem('alerthub.resident', JSON.stringify({{ id: '{resident.Id}', token: '{resident.Token}' }}))");
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#inbox li[data-alert-id]").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        return page;
    }
}
