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
