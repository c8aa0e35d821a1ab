using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using SkiaSharp;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

/// <summary>
/// Every string that comes from a user, a device or a feed reaches the pages as text (Hardening issue, item 3): markup
/// is put into each such field through the API and through pushed JMA and CAP documents, then every staff page and
/// the resident page is opened and every map feature hovered and clicked so its tooltip and popup render. No script
/// may run, no dialog open, no injected element appear — and each marker must be visible as literal text, so the
/// test proves the strings were shown, not merely left out.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MarkupInjectionTests(BrowserHub hub, ITestOutputHelper output)
{
    // Away from the other tests' areas and residents, inside the map's first view around 横手市役所.
    private const double Lat = 39.36;
    private const double Lon = 140.45;

    /// <summary>
    /// Records, from before the first script of every document, any element that injected markup would create —
    /// also ones that exist only for a moment (a tooltip closed again).
    /// </summary>
    private const string Watch = """
        window.__injected = [];
        new MutationObserver(records => {
          for (const record of records) for (const node of record.addedNodes) {
            if (node.nodeType !== 1) continue;
            for (const el of [node, ...node.querySelectorAll('*')]) {
              if (el.id === 'injected' || el.hasAttribute('onerror') || (el.tagName === 'IMG' && el.getAttribute('src') === 'x')) {
                window.__injected.push(el.outerHTML.slice(0, 160));
              }
            }
          }
        }).observe(document, { childList: true, subtree: true });
        """;

    /// <summary>Breaks out of an attribute, adds an image whose error handler would run and an element with an id.</summary>
    private static string Markup(string field) => $"\"'><img src=x onerror=window.__xss=1><b id=injected>{field}</b>";

    /// <summary>How the marker reads when shown as text.</summary>
    private static string Shown(string field) => $"<b id=injected>{field}</b>";

    [ChromiumSharedDataFact]
    public async Task MarkupInEveryUserAndFeedString_IsShownAsText_OnEveryStaffPageMapFeatureAndTheResidentPage()
    {
        using var admin = hub.Admin();
        var district = await hub.AddAreaAsync(Markup("area-district"), "district", Lat, Lon, 0.004);
        await hub.AddAreaAsync(Markup("area-flood"), "flood", Lat, Lon + 0.02, 0.004);
        await hub.AddAreaAsync(Markup("area-custom"), "custom", Lat, Lon + 0.04, 0.004);
        var resident = await RegisterResidentAsync(Markup("place-label"));

        await Ok(admin.PostAsJsonAsync("/api/shelters", new
        {
            name = Markup("shelter-name"), nameEn = Markup("shelter-name-en"), location = new { lat = Lat + 0.02, lon = Lon }, status = "open", capacity = 80, occupancy = 5,
        }));
        var camera = await Ok(admin.PostAsJsonAsync("/api/cameras", new
        {
            name = Markup("camera-name"), kind = "jpeg-poll", location = new { lat = Lat + 0.02, lon = Lon + 0.02 }, river = Markup("camera-river"),
            district = Markup("camera-district"), directionDegrees = 90, fieldOfViewDegrees = 60,
        }));
        var cameraId = camera["id"]!.GetValue<string>();
        await Ok(admin.PostAsync($"/api/cameras/{cameraId}/snapshots", Jpeg()));

        var ingestKey = await CreateKeyAsync(admin, Markup("key-name"), "ingest");
        using var ingest = hub.Anonymous();
        ingest.DefaultRequestHeaders.Add("X-Api-Key", ingestKey);
        using (var form = new MultipartFormDataContent())
        {
            var photo = Jpeg();
            form.Add(photo, "photo", "DJI_0002.JPG");
            form.Add(new StringContent(Markup("drone-note")), "note");
            var uploaded = await Ok(ingest.PostAsync("/api/drone-photos", form));
            await Ok(admin.PutAsJsonAsync($"/api/drone-photos/{uploaded["properties"]!["id"]!.GetValue<string>()}/position", new { lat = Lat + 0.02, lon = Lon + 0.04 }));
        }

        await IssueAsync(admin, district, "alert");
        await Ok(admin.PostAsJsonAsync("/api/alert-drafts", AlertRequest(district, "draft")));

        // Feeds: city and area names flow into alert headlines through {area}, headlines through {headline}.
        await Ok(admin.PutAsJsonAsync("/api/rules", new object[]
        {
            new
            {
                name = "markup-quake", families = new[] { "JMA:VXSE53" }, minIntensity = "3", areaMode = "areas", areaIds = new[] { district },
                @event = Markup("rule-event"), templates = new Dictionary<string, object> { ["ja"] = new { headline = "地震 {area} {intensity}", body = "{headline}" } },
            },
            new
            {
                name = "markup-cap", families = new[] { "CAP" }, areaMode = "areas", areaIds = new[] { district },
                templates = new Dictionary<string, object> { ["ja"] = new { headline = "{headline}（{area}）", body = "{headline}" } },
            },
        }));
        var quake = await Ok(ingest.PostAsync("/api/feeds/jma", Xml(JmaTelegram())));
        Assert.True(quake["alertId"] is not null, $"the quake rule issued nothing: {quake.ToJsonString()}");
        var cap = await Ok(ingest.PostAsync("/api/feeds/cap", Xml(CapAlert())));
        Assert.True(cap["alertId"] is not null, $"the CAP rule issued nothing: {cap.ToJsonString()}");

        using (var asResident = hub.Anonymous())
        {
            asResident.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", resident.Token);
            await Ok(asResident.PostAsJsonAsync($"/api/residents/{resident.Id}/safety", new
            {
                status = "need-help", note = Markup("safety-note"), location = new { lat = Lat + 0.03, lon = Lon },
            }));
        }

        var username = $"xss{Guid.NewGuid():N}"[..12];
        await Ok(admin.PostAsJsonAsync("/api/staff/users", new { username, displayName = Markup("display-name"), roles = new[] { "admin" }, password = BrowserHub.Password, disabled = false }));

        await using var context = await hub.NewContextAsync(1400, 1000);
        await context.AddInitScriptAsync(Watch);
        var page = await Staff.SignInAsync(context, username);
        var problems = ResidentPageTests.CollectProblems(page);
        var dialogs = WatchDialogs(page);
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync(Shown("display-name"));

        // The map: hover every feature (tooltips), click every one that is not an alert (popups; an alert opens its board).
        var map = page.Locator("#overview-map");
        await Assertions.Expect(map.Locator("path.leaflet-interactive[stroke='#dc2626']")).Not.ToHaveCountAsync(0);
        await HoverAllAsync(map.Locator("path.leaflet-interactive"));
        await AssertNothingInjectedAsync(page, "map tooltips");
        var tooltips = page.Locator("#overview-map .leaflet-tooltip");
        foreach (var field in new[] { "area-district", "area-flood", "area-custom", "shelter-name", "camera-name", "safety-note", "alert-headline", "jma-city", "cap-headline", "cap-area" })
        {
            await Assertions.Expect(tooltips.Filter(new() { HasText = Shown(field) }).First).ToBeAttachedAsync();
        }

        var popups = await map.Locator("path.leaflet-interactive:not([stroke='#dc2626'])").EvaluateAllAsync<string[]>("""
            paths => paths.flatMap(p => {
              p.dispatchEvent(new MouseEvent('click', { bubbles: true }));
              // A closed popup fades out for a moment: read every popup in the document, not only the first.
              return [...document.querySelectorAll('#overview-map .leaflet-popup-content')].map(c => c.textContent);
            })
            """);
        Assert.Contains(popups, p => p.Contains(Shown("camera-name"), StringComparison.Ordinal));
        Assert.Contains(popups, p => p.Contains(Shown("drone-note"), StringComparison.Ordinal));
        await BrowserHub.ScreenshotAsync(page, "staff-map-markup-as-text", output);
        await AssertNothingInjectedAsync(page, "map");

        await page.ClickAsync("#nav-compose");
        await Assertions.Expect(page.Locator("#area-list")).ToContainTextAsync(Shown("area-custom"));
        await HoverAllAsync(page.Locator("#compose-map path.leaflet-interactive"));
        await Assertions.Expect(page.Locator("#compose-map .leaflet-tooltip").Filter(new() { HasText = Shown("area-flood") })).ToHaveCountAsync(1);
        await page.Locator($"#area-list input[value='{district}']").CheckAsync();
        await Assertions.Expect(page.Locator("#by-area")).ToContainTextAsync(Shown("area-district"));
        await AssertNothingInjectedAsync(page, "compose");

        await page.ClickAsync("#nav-approvals");
        var draftCard = page.Locator("#draft-list article", new() { HasText = Shown("draft-headline") });
        await Assertions.Expect(draftCard).ToContainTextAsync(Shown("draft-body"));
        await Assertions.Expect(draftCard).ToContainTextAsync(Shown("draft-event"));
        await AssertNothingInjectedAsync(page, "approvals");

        foreach (var (alertId, fields) in new[]
                 {
                     (quake["alertId"]!.GetValue<string>(), new[] { "jma-city", "rule-event", "area-district" }),
                     (cap["alertId"]!.GetValue<string>(), new[] { "cap-headline", "cap-area" }),
                 })
        {
            await page.GotoAsync($"/staff/#/board/{alertId}");
            foreach (var field in fields)
            {
                await Assertions.Expect(page.Locator("#alert-detail")).ToContainTextAsync(Shown(field));
            }

            await AssertNothingInjectedAsync(page, "board " + alertId);
        }

        await page.ClickAsync("#nav-cameras");
        await Assertions.Expect(page.Locator("#camera-wall")).ToContainTextAsync(Shown("camera-river"));
        await page.Locator($"li.camera-tile[data-camera-id='{cameraId}'] button").ClickAsync();
        await Assertions.Expect(page.Locator("#viewer-title")).ToHaveTextAsync(Markup("camera-name"));
        await page.Keyboard.PressAsync("Escape");
        await page.SelectOptionAsync("#camera-group", "district");
        await Assertions.Expect(page.Locator("#camera-wall")).ToContainTextAsync(Shown("camera-district"));
        await AssertNothingInjectedAsync(page, "cameras");

        await page.ClickAsync("#nav-events");
        await Assertions.Expect(page.Locator("#events-table")).ToContainTextAsync(Shown("jma-title"));
        await Assertions.Expect(page.Locator("#events-table")).ToContainTextAsync(Shown("cap-headline"));
        await AssertNothingInjectedAsync(page, "events");

        await page.ClickAsync("#nav-shelters");
        await Assertions.Expect(page.Locator("#shelter-list")).ToContainTextAsync(Shown("shelter-name-en"));
        await AssertNothingInjectedAsync(page, "shelters");

        await page.ClickAsync("#nav-admin");
        await Assertions.Expect(page.Locator("table").First).ToContainTextAsync(Shown("display-name"));
        await Assertions.Expect(page.Locator("table").Nth(1)).ToContainTextAsync(Shown("key-name"));
        await BrowserHub.ScreenshotAsync(page, "staff-admin-markup-as-text", output);
        await AssertNothingInjectedAsync(page, "admin");

        // 町字 names come from an imported file: a hostile one must not put markup on the resident page either.
        await Ok(admin.PostAsJsonAsync("/api/places/towns", new
        {
            type = "FeatureCollection",
            features = new[] { new { type = "Feature", properties = new { town = Markup("town-name"), koaza = "" }, geometry = new { type = "Point", coordinates = new[] { Lon + 0.001, Lat } } } },
        }));

        // The resident page of the registered resident: inbox (alert texts from staff and from both feeds), places, live alert.
        await using var residentContext = await hub.NewContextAsync(390, 844, 2);
        await residentContext.AddInitScriptAsync(Watch);
        await residentContext.AddInitScriptAsync($"localStorage.setItem('alerthub.resident', JSON.stringify({{ id: '{resident.Id}', token: '{resident.Token}' }}))");
        var residentPage = await residentContext.NewPageAsync();
        var residentProblems = ResidentPageTests.CollectProblems(residentPage);
        var residentDialogs = WatchDialogs(residentPage);
        await residentPage.GotoAsync("/");
        foreach (var field in new[] { "alert-headline", "alert-body", "alert-instruction", "jma-city", "cap-headline" })
        {
            await Assertions.Expect(residentPage.Locator("#inbox")).ToContainTextAsync(Shown(field));
        }

        await Assertions.Expect(residentPage.Locator("#inbox .inbox-area").First).ToContainTextAsync(Shown("area-district"));
        await Assertions.Expect(residentPage.Locator("#shelter-list")).ToContainTextAsync(Shown("shelter-name"));
        await Assertions.Expect(residentPage.Locator("#places")).ToContainTextAsync(Shown("place-label"));
        await HoverAllAsync(residentPage.Locator("#resident-map path.leaflet-interactive"));
        await Assertions.Expect(residentPage.Locator("#resident-map .leaflet-tooltip")).ToContainTextAsync(Shown("place-label"));
        await residentPage.FillAsync("#place-search", "town-name");
        await residentPage.ClickAsync("#add-place");
        await Assertions.Expect(residentPage.Locator("#places")).ToContainTextAsync(Shown("town-name"));
        await residentPage.Locator("#resident-map").ClickAsync();
        await Assertions.Expect(residentPage.Locator("#map-confirm-near")).ToContainTextAsync(Shown("town-name"));
        await residentPage.ClickAsync("#map-confirm-cancel");
        await IssueAsync(admin, district, "live");
        await Assertions.Expect(residentPage.Locator("#live-alert")).ToContainTextAsync(Shown("live-headline"), new() { Timeout = 20_000 });
        await Assertions.Expect(residentPage.Locator("#live-alert")).ToContainTextAsync(Shown("live-body"));
        await BrowserHub.ScreenshotAsync(residentPage, "resident-markup-as-text", output);
        await AssertNothingInjectedAsync(residentPage, "resident page");

        Assert.Empty(dialogs);
        Assert.Empty(residentDialogs);
        Assert.Empty(problems);
        Assert.Empty(residentProblems);
    }

    [ToolFact("chromium")]
    public async Task RawFeedDocument_ThatIsAlsoJavaScript_NeverRunsWhenLoadedAsAScriptOnTheStaffOrigin()
    {
        using var admin = hub.Admin();
        var ingestKey = await CreateKeyAsync(admin, "polyglot-feed", "ingest");
        using var ingest = hub.Anonymous();
        ingest.DefaultRequestHeaders.Add("X-Api-Key", ingestKey);
        var pushed = await Ok(ingest.PostAsync("/api/feeds/cap", Xml(PolyglotCap())));
        var raw = $"/api/events/{pushed["eventId"]!.GetValue<string>()}/raw";
        var viewer = await hub.CreateStaffUserAsync("viewer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, viewer);
        var dialogs = WatchDialogs(page);

        // What the attack did once markup was on the page: load the stored document as a same-origin script.
        var outcome = await page.EvaluateAsync<string>("""
            src => new Promise(resolve => {
              const script = document.createElement('script');
              script.src = src;
              script.addEventListener('load', () => resolve('load'));
              script.addEventListener('error', () => resolve('error'));
              document.head.append(script);
            })
            """, raw);

        output.WriteLine($"loading {raw} as a script: {outcome}");
        Assert.True(await page.EvaluateAsync<bool>("() => typeof window.__xss === 'undefined'"), "the stored feed document ran as a script on the staff origin");
        Assert.Equal("error", outcome);
        Assert.Empty(dialogs);
    }

    /// <summary>Moves the pointer onto every feature as Leaflet sees it (a bubbling mouseover), so each tooltip opens.</summary>
    private static async Task HoverAllAsync(ILocator features)
    {
        var count = await features.EvaluateAllAsync<int>("paths => { paths.forEach(p => p.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }))); return paths.length; }");
        Assert.True(count > 0, "no map features to hover");
    }

    private static async Task AssertNothingInjectedAsync(IPage page, string where)
    {
        var injected = await page.EvaluateAsync<string[]>("() => window.__injected ?? ['(the watch script did not run)']");
        Assert.True(injected.Length == 0, $"{where}: markup became elements: {string.Join(" | ", injected)}");
        Assert.True(await page.EvaluateAsync<bool>("() => typeof window.__xss === 'undefined'"), $"{where}: an injected script ran");
        Assert.Equal(0, await page.Locator("#injected, img[src='x'], [onerror]").CountAsync());
    }

    private static List<string> WatchDialogs(IPage page)
    {
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) =>
        {
            lock (dialogs) { dialogs.Add($"{dialog.Type}: {dialog.Message}"); }
            _ = dialog.DismissAsync();
        };
        return dialogs;
    }

    private static object AlertRequest(string areaId, string prefix) => new
    {
        status = "Exercise", msgType = "Alert", @event = Markup($"{prefix}-event"), severity = "Severe", urgency = "Immediate", certainty = "Likely",
        area = new { areaIds = new[] { areaId } },
        texts = new Dictionary<string, object>
        {
            ["ja"] = new { headline = Markup($"{prefix}-headline"), body = Markup($"{prefix}-body"), instruction = Markup($"{prefix}-instruction") },
        },
    };

    private static async Task IssueAsync(HttpClient admin, string areaId, string prefix)
    {
        var response = await admin.PostAsJsonAsync("/api/alerts", AlertRequest(areaId, prefix));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    private async Task<(string Id, string Token)> RegisterResidentAsync(string label)
    {
        using var anonymous = hub.Anonymous();
        var created = await Ok(anonymous.PostAsJsonAsync("/api/residents", new
        {
            attributes = new { householdTags = Array.Empty<string>(), language = "ja" },
            places = new[] { new { label, lat = Lat, lon = Lon } },
            endpoints = new[] { new { channel = "signalr" } },
        }));
        return (created["id"]!.GetValue<string>(), created["token"]!.GetValue<string>());
    }

    private static async Task<string> CreateKeyAsync(HttpClient admin, string name, string role) =>
        (await Ok(admin.PostAsJsonAsync("/api/keys", new { name, role })))["key"]!.GetValue<string>();

    private static async Task<JsonNode> Ok(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {(int)response.StatusCode} {body}");
        return string.IsNullOrEmpty(body) ? new JsonObject() : JsonNode.Parse(body)!;
    }

    private static ByteArrayContent Jpeg()
    {
        using var bitmap = new SKBitmap(64, 48);
        bitmap.Erase(SKColors.SteelBlue);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 80);
        var content = new ByteArrayContent(data.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return content;
    }

    private static ByteArrayContent Xml(string document)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(document));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
        return content;
    }

    private static string Fixture(string path) =>
        SharedData.Path("fixtures", "feeds", path) is { } file ? File.ReadAllText(file) : throw new InvalidOperationException($"../shared/fixtures/feeds/{path} is missing");

    /// <summary>A real VXSE53 (震度3 in 田村市, 相馬市, 大熊町) whose city name, title and headline carry markup, as a hostile sender would write them.</summary>
    private static string JmaTelegram()
    {
        var xml = Fixture("jma/20210219011051_0_VXSE53_010000.xml");
        return Replace(Replace(Replace(Replace(xml,
                    "<City><Name>田村市</Name>", $"<City><Name>{SecurityElement.Escape(Markup("jma-city"))}</Name>"),
                    "<Title>震源・震度情報</Title>", $"<Title>{SecurityElement.Escape(Markup("jma-title"))}</Title>"),
                "<Text>１９日１０時０７分ころ、地震がありました。</Text>", $"<Text>{SecurityElement.Escape(Markup("jma-headline"))}</Text>"),
            "<EventID>20210219100719</EventID>", $"<EventID>{Random.Shared.NextInt64(10_000_000_000_000, 99_999_999_999_999)}</EventID>");
    }

    /// <summary>The CAP 1.2 specification's example alert with markup in its headline, event, description and area.</summary>
    private static string CapAlert()
    {
        var xml = Fixture("cap/v1dot2_appendix_adot1.xml");
        return Replace(Replace(Replace(Replace(xml,
                    "<identifier>43b080713727</identifier>", $"<identifier>markup-{Guid.NewGuid():N}</identifier>"),
                    "<headline>Homeland Security Sets Code ORANGE</headline>", $"<headline>{SecurityElement.Escape(Markup("cap-headline"))}</headline>"),
                "<event>Homeland Security Advisory System Update</event>", $"<event>{SecurityElement.Escape(Markup("cap-event"))}</event>"),
            "<areaDesc>U.S. nationwide and interests worldwide</areaDesc>", $"<areaDesc>{SecurityElement.Escape(Markup("cap-area"))}</areaDesc>");
    }

    /// <summary>
    /// A CAP alert that is also valid JavaScript: to a script loader <c>&lt;!--</c> opens a line comment, the statement
    /// runs, and the XML after it sits in a block comment closed inside the trailing XML comment.
    /// </summary>
    private static string PolyglotCap() => $"""
        <!--
        window.__xss = 1; /*
        -->
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>polyglot-{Guid.NewGuid():N}</identifier>
          <sender>polyglot@example.org</sender>
          <sent>2026-05-01T10:00:00+09:00</sent>
          <status>Test</status>
          <msgType>Alert</msgType>
          <scope>Public</scope>
          <info><category>Met</category><event>test</event><urgency>Immediate</urgency><severity>Minor</severity><certainty>Likely</certainty>
            <headline>polyglot</headline><area><areaDesc>nowhere</areaDesc></area></info>
        </alert>
        <!-- */ -->
        """;

    private static string Replace(string text, string old, string replacement)
    {
        Assert.True(text.Contains(old, StringComparison.Ordinal), $"fixture changed: '{old}' not found");
        return text.Replace(old, replacement, StringComparison.Ordinal);
    }
}
