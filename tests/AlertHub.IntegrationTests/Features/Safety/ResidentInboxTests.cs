using System.Net.Http.Headers;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Safety;

public sealed class ResidentInboxTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new();

    public Task InitializeAsync() => _hub.WaitReadyAsync();

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    private async Task<System.Text.Json.Nodes.JsonArray> InboxAsync(Registered resident, string? token = null)
    {
        using var client = _hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? resident.Token);
        var response = await client.GetAsync($"/api/residents/{resident.Id}/inbox");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).AsArray();
    }

    [Fact]
    public async Task Inbox_ShowsTargetedAlertsInTheResidentsLanguage_WithTheirLaterState_AndNothingElse()
    {
        using var anonymous = _hub.CreateClient();
        var english = await Api.RegisterAsync(anonymous, 39.3114, 140.5535, language: "en-US");
        var japanese = await Api.RegisterAsync(anonymous, 39.3120, 140.5540, language: "ja");
        var outside = await Api.RegisterAsync(anonymous, 39.2000, 140.4000, language: "en");
        using var admin = _hub.Admin();
        var here = new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 1000 } } };
        var first = (await Api.IssueAsync(admin, Api.ExerciseAlert(here, headline: "一回目")))["id"]!.GetValue<string>();
        var second = (await Api.IssueAsync(admin, Api.ExerciseAlert(here, headline: "二回目")))["id"]!.GetValue<string>();

        var inbox = await InboxAsync(english);
        Assert.Equal([second, first], inbox.Select(i => i!["alertId"]!.GetValue<string>()));
        var item = inbox[0]!;
        Assert.Equal("en", item["language"]!.GetValue<string>());
        Assert.Equal("[EXERCISE] Yokote River flood danger", item["title"]!.GetValue<string>());
        Assert.StartsWith("This is a drill.", item["body"]!.GetValue<string>());
        Assert.True(item["isExercise"]!.GetValue<bool>());
        Assert.Equal("issued", item["state"]!.GetValue<string>());
        Assert.Equal(1, item["version"]!.GetValue<int>());
        Assert.Equal("Severe", item["severity"]!.GetValue<string>());
        Assert.True(item["sentAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(-1));

        var inJapanese = await InboxAsync(japanese);
        Assert.Equal("【訓練】二回目", inJapanese[0]!["title"]!.GetValue<string>());
        Assert.Equal("ja", inJapanese[0]!["language"]!.GetValue<string>());

        Assert.Empty(await InboxAsync(outside));

        Assert.Equal(202, (int)(await admin.PostAsync($"/api/alerts/{first}/cancel", null)).StatusCode);
        var cancelled = (await InboxAsync(english)).Single(i => i!["alertId"]!.GetValue<string>() == first)!;
        Assert.Equal("cancelled", cancelled["state"]!.GetValue<string>());
        Assert.Equal(2, cancelled["version"]!.GetValue<int>());
        Assert.Contains("[CANCELLED]", cancelled["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Inbox_WithAnotherResidentsToken_Returns401()
    {
        using var anonymous = _hub.CreateClient();
        var resident = await Api.RegisterAsync(anonymous, 39.31, 140.55);
        var other = await Api.RegisterAsync(anonymous, 39.31, 140.55);
        using var client = _hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", other.Token);
        await (await client.GetAsync($"/api/residents/{resident.Id}/inbox")).AssertProblemAsync(401, "auth.invalid_resident_token");
        using var noToken = _hub.CreateClient();
        await (await noToken.GetAsync($"/api/residents/{resident.Id}/inbox")).AssertProblemAsync(401, "auth.invalid_resident_token");
    }
}
