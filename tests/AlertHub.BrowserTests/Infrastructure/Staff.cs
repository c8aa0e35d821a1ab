using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace AlertHub.BrowserTests.Infrastructure;

/// <summary>What a person does on the pages, and small API set-ups the tests need.</summary>
internal static class Staff
{
    public static async Task<IPage> SignInAsync(IBrowserContext context, string username)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/staff/");
        await page.FillAsync("#username", username);
        await page.FillAsync("#password", BrowserHub.Password);
        await page.ClickAsync("form.signin button[type=submit]");
        await page.Locator("#nav a").First.WaitForAsync();
        return page;
    }

    /// <summary>Residents with a webhook endpoint each, through the admin bulk import; returns how many were accepted.</summary>
    public static async Task<int> ImportWebhookResidentsAsync(BrowserHub hub, int count, double lat, double lon, string[]? householdTags = null)
    {
        var lines = Enumerable.Range(0, count).Select(i => System.Text.Json.JsonSerializer.Serialize(new
        {
            attributes = new { householdTags = householdTags ?? [], language = "ja" },
            places = new[] { new { label = "home", lat = lat + (i % 10) * 0.0001, lon = lon + (i / 10) * 0.0001 } },
            endpoints = new[] { new { channel = "webhook", address = $"{hub.Webhooks.Url}/hook/{i}", secret = "browser-test-secret-0123" } },
        }));
        using var admin = hub.Admin();
        var response = await admin.PostAsync("/api/residents/import", new StringContent(string.Join('\n', lines), System.Text.Encoding.UTF8, "application/x-ndjson"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var json = JsonNode.Parse(body)!;
        return json["accepted"]?.GetValue<int>() ?? json["ids"]?.AsArray().Count ?? count;
    }

    /// <summary>Watches the page's live-count requests; the returned function gives the body of the newest one.</summary>
    public static Func<string?> WatchPreviewRequests(IPage page)
    {
        string? last = null;
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/api/targeting/preview", StringComparison.Ordinal))
            {
                last = request.PostData;
            }
        };
        return () => last;
    }

    public static async Task<JsonNode> PreviewAsync(BrowserHub hub, string requestJson)
    {
        using var admin = hub.Admin();
        var response = await admin.PostAsync("/api/targeting/preview", new StringContent(requestJson, System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    /// <summary>An API key with the given role and name (e.g. an approver "承認係 鈴木"); returns a client that sends it.</summary>
    public static async Task<HttpClient> KeyClientAsync(BrowserHub hub, string role, string name)
    {
        using var admin = hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/keys", new { name, role });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var client = hub.Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", JsonNode.Parse(body)!["key"]!.GetValue<string>());
        return client;
    }

    /// <summary>A resident registered through the public API: their id and token.</summary>
    public static async Task<(string Id, string Token)> RegisterResidentAsync(BrowserHub hub, double lat, double lon, object[] endpoints, string language = "ja")
    {
        using var anonymous = hub.Anonymous();
        var response = await anonymous.PostAsJsonAsync("/api/residents", new
        {
            attributes = new { householdTags = Array.Empty<string>(), language },
            places = new[] { new { label = "home", lat, lon } },
            endpoints,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var json = JsonNode.Parse(body)!;
        return (json["id"]!.GetValue<string>(), json["token"]!.GetValue<string>());
    }

    /// <summary>POSTs JSON and asserts a success status; returns the parsed body (an empty object for none).</summary>
    public static async Task<JsonNode> PostOkAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, polling the hub's API.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out: {what}");
            await Task.Delay(150);
        }
    }

    /// <summary>The page's visible text (what a person reads), for checks that no raw code is shown.</summary>
    public static Task<string> VisibleTextAsync(IPage page, string selector = "#main") => page.Locator(selector).InnerTextAsync();

    public static async Task<JsonNode> IssueExerciseAsync(BrowserHub hub, string areaId, string headline)
    {
        using var admin = hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/alerts", new
        {
            status = "Exercise", msgType = "Alert", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
            area = new { areaIds = new[] { areaId } },
            texts = new Dictionary<string, object>
            {
                ["ja"] = new { headline, body = "横手川が氾濫危険水位に達しました。", instruction = "高い所へ避難してください。" },
                ["en"] = new { headline = "Flood danger (exercise)", body = "The river reached the danger level.", instruction = "Move to higher ground." },
            },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 202, body);
        return JsonNode.Parse(body)!;
    }
}
