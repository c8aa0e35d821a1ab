using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Social;
using Microsoft.Extensions.Options;

namespace AlertHub.IntegrationTests.Features.Channels.Social;

public sealed class SocialChannelTests : IAsyncLifetime
{
    private FakeSocial _fake = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeSocial.StartAsync();
        _hub = Hub(_fake.Token);
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _fake.DisposeAsync();
    }

    private HubFactory Hub(string token, bool postExercises = false, string? baseUrl = null, string? deniedHost = null) => new(settings: new()
    {
        ["Security:OutboundUrls:DeniedHosts:0"] = deniedHost,
        ["Hub:PublicBaseUrl"] = "https://alerts.example.jp",
        ["Channels:Social:Enabled"] = "true",
        ["Channels:Social:PostExercises"] = postExercises ? "true" : "false",
        ["Channels:Social:Accounts:0:Name"] = "mastodon-city",
        ["Channels:Social:Accounts:0:Kind"] = "mastodon",
        ["Channels:Social:Accounts:0:BaseUrl"] = baseUrl ?? _fake.BaseUrl,
        ["Channels:Social:Accounts:0:AccessToken"] = token,
        ["Channels:Social:Accounts:1:Name"] = "x-city",
        ["Channels:Social:Accounts:1:Kind"] = "x",
        ["Channels:Social:Accounts:1:BaseUrl"] = baseUrl ?? _fake.BaseUrl,
        ["Channels:Social:Accounts:1:AccessToken"] = token,
    });

    private static object RealAlert(string body) => new
    {
        status = "Actual", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
        area = new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 500 } } },
        texts = new Dictionary<string, object> { ["ja"] = new { headline = "横手川 氾濫危険情報", body, instruction = "直ちに避難してください。" } },
    };

    [Fact]
    public async Task RealAlert_PostedOncePerAccount_LongTextCutWithLinkWithinEachLimit_CancelPostedToo()
    {
        using var admin = _hub.Admin();
        var longBody = string.Concat(Enumerable.Repeat("横手川の水位が上昇しています。", 40));
        var issued = await Api.IssueAsync(admin, RealAlert(longBody));
        var id = issued["id"]!.GetValue<string>();
        Assert.Equal(0, issued["recipients"]!.GetValue<int>());
        Assert.Equal(2, issued["byChannel"]!["social"]!.GetValue<int>());
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["social"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(10));

        var posts = _fake.Posts.ToList();
        Assert.Equal(["mastodon", "x"], posts.Select(p => p.Service).Order());
        var link = $"https://alerts.example.jp/feeds/cap/{id}/1.xml";
        Assert.All(posts, p =>
        {
            Assert.StartsWith("横手川 氾濫危険情報", p.Text, StringComparison.Ordinal);
            Assert.EndsWith("…\n" + link, p.Text, StringComparison.Ordinal);
        });
        var mastodon = posts.Single(p => p.Service == "mastodon");
        Assert.InRange(FakeSocial.MastodonLength(mastodon.Text), 450, 500);
        var x = posts.Single(p => p.Service == "x");
        Assert.InRange(FakeSocial.XWeightedLength(x.Text), 250, 280);
        Assert.Equal($"{id}:1:", mastodon.IdempotencyKey![..(id.Length + 3)]);

        await admin.PostAsync($"/api/alerts/{id}/cancel", null);
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["social"]!["delivered"]!.GetValue<long>() == 4, TimeSpan.FromSeconds(10));
        Assert.Equal(2, _fake.Posts.Count(p => p.Text.StartsWith("【取消】", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ExerciseAlert_IsNotPostedByDefault()
    {
        using var admin = _hub.Admin();
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.5, radiusMeters = 500 } } }));
        Assert.Null(issued["byChannel"]!["social"]);
        await Task.Delay(500);
        Assert.Empty(_fake.Posts);
    }

    [Fact]
    public async Task ServiceErrors_AreRetriedWithoutDoublePosting()
    {
        using var admin = _hub.Admin();
        _fake.FailNext(2, 503);
        var issued = await Api.IssueAsync(admin, RealAlert("短い本文"));
        await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(),
            a => a["delivery"]!["byChannel"]!["social"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        Assert.Equal(2, _fake.Posts.Count);
        Assert.Single(_fake.Posts, p => p.Service == "mastodon");
    }

    [Fact]
    public async Task RevokedToken_MarksChannelUnhealthyWithTheReason()
    {
        using var hub = Hub("revoked-token");
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var issued = await Api.IssueAsync(admin, RealAlert("本文"));
        await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(),
            a => a["delivery"]!["byChannel"]!["social"]!["failed"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(10));
        var social = (await (await admin.GetAsync("/api/channels")).JsonAsync()).AsArray().Single(c => c!["name"]!.GetValue<string>() == "social")!;
        Assert.False(social["healthy"]!.GetValue<bool>());
        Assert.Contains("access token", social["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_fake.Posts);
    }

    [Fact]
    public async Task ResidentEndpoint_OnSocial_IsRefused()
    {
        using var client = _hub.CreateClient();
        var response = await client.PostAsJsonAsync("/api/residents", new
        {
            places = new[] { new { lat = 39.3, lon = 140.5 } },
            endpoints = new[] { new { channel = "social", address = "@me" } },
        });
        await response.AssertProblemAsync(400, "residents.channel_unknown");
    }

    /// <summary>The "forbidden" instance is a second loopback fake whose port the test denies through Security:OutboundUrls:DeniedHosts.</summary>
    private static string Denied(FakeSocial fake) => $"127.0.0.1:{new Uri(fake.BaseUrl).Port}";

    [Fact]
    public async Task Startup_InstanceRefusedByOutboundPolicy_FailsWithTheReasonAndTheInstanceHearsNothing()
    {
        await using var forbidden = await FakeSocial.StartAsync(_fake.Token);
        using var hub = Hub(_fake.Token, baseUrl: forbidden.BaseUrl, deniedHost: Denied(forbidden));

        var error = Assert.Throws<OptionsValidationException>(() => hub.CreateClient());

        Assert.Contains("account mastodon-city: BaseUrl is refused by Security:OutboundUrls", error.Message, StringComparison.Ordinal);
        Assert.Contains("DeniedHosts", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, forbidden.Requests);
    }

    [Theory]
    [InlineData(302)]
    [InlineData(307)]
    public async Task InstanceRedirectingToARefusedHost_IsNotFollowed_ChannelSaysWhy(int status)
    {
        await using var forbidden = await FakeSocial.StartAsync(_fake.Token);
        using var hub = Hub(_fake.Token, deniedHost: Denied(forbidden));
        await hub.WaitReadyAsync();
        _fake.RedirectTo(forbidden.BaseUrl, status);
        using var admin = hub.Admin();

        var issued = await Api.IssueAsync(admin, RealAlert("本文"));
        await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(),
            a => a["delivery"]!["byChannel"]!["social"]!["failed"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(10));

        Assert.True(_fake.Requests >= 2, "both accounts asked the redirecting instance");
        Assert.Equal(0, forbidden.Requests);
        Assert.Empty(forbidden.Posts);
        var social = (await (await admin.GetAsync("/api/channels")).JsonAsync()).AsArray().Single(c => c!["name"]!.GetValue<string>() == "social")!;
        Assert.False(social["healthy"]!.GetValue<bool>());
        Assert.Contains($"HTTP {status} redirect", social["problem"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
