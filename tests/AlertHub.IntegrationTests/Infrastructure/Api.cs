using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AlertHub.IntegrationTests.Infrastructure;

public sealed record Registered(Guid Id, string Token);

/// <summary>Small helpers for the hub's API as a client would call it.</summary>
internal static class Api
{
    /// <summary>A square polygon around (lat, lon) with the given half-size in degrees, counter-clockwise.</summary>
    public static object Square(double lat, double lon, double half) => new
    {
        type = "Polygon",
        coordinates = new[]
        {
            new[]
            {
                new[] { lon - half, lat - half }, new[] { lon + half, lat - half }, new[] { lon + half, lat + half },
                new[] { lon - half, lat + half }, new[] { lon - half, lat - half },
            },
        },
    };

    public static async Task<Registered> RegisterAsync(HttpClient client, double lat, double lon, string[]? householdTags = null,
        object[]? endpoints = null, string? language = "ja")
    {
        var response = await client.PostAsJsonAsync("/api/residents", new
        {
            attributes = new { householdTags = householdTags ?? [], language },
            places = new[] { new { label = "home", lat, lon } },
            endpoints = endpoints ?? [new { channel = "signalr" }],
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var json = await response.JsonAsync();
        return new Registered(Guid.Parse(json["id"]!.GetValue<string>()), json["token"]!.GetValue<string>());
    }

    public static async Task<string> AddAreaAsync(HttpClient admin, string name, object geometry, string kind = "flood", string? code = null)
    {
        var response = await admin.PostAsJsonAsync("/api/areas", new
        {
            type = "Feature",
            properties = new { name, kind, code },
            geometry,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync())[0]!["id"]!.GetValue<string>();
    }

    public static object ExerciseAlert(object area, object? audience = null, string headline = "横手川 氾濫危険", DateTimeOffset? expires = null) => new
    {
        status = "Exercise",
        msgType = "Alert",
        @event = "洪水",
        severity = "Severe",
        urgency = "Immediate",
        certainty = "Likely",
        area,
        audience,
        expires,
        texts = new Dictionary<string, object>
        {
            ["ja"] = new { headline, body = "横手川が氾濫危険水位に達しました。", instruction = "高い所へ避難してください。" },
            ["en"] = new { headline = "Yokote River flood danger", body = "The river reached the danger level.", instruction = "Move to higher ground." },
        },
    };

    public static async Task<JsonNode> IssueAsync(HttpClient client, object alert)
    {
        var response = await client.PostAsJsonAsync("/api/alerts", alert);
        Assert.True((int)response.StatusCode == 202, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    public static async Task<JsonNode> WaitForDeliveryAsync(HttpClient client, string alertId, Func<JsonNode, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await (await client.GetAsync($"/api/alerts/{alertId}")).JsonAsync();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"delivery not done within {timeout}: {last?.ToJsonString()}");
        return last!;
    }
}
