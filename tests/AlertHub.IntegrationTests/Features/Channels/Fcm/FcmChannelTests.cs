using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Fcm;
using AlertHub.MobileSim.Report;
using Microsoft.Extensions.Options;

namespace AlertHub.IntegrationTests.Features.Channels.Fcm;

public sealed class FcmChannelTests : IAsyncLifetime
{
    private const double Lat = 39.3114;
    private const double Lon = 140.5535;

    private readonly ReceiptLog _receipts = new();
    private FakeFcm _fcm = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _fcm = new FakeFcm(_receipts);
        await _fcm.StartAsync();
        var settings = _fcm.HubSettings.ToDictionary();
        settings["Delivery:MaxAttempts"] = "5";
        _hub = new HubFactory(settings: settings);
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _fcm.DisposeAsync();
    }

    [Fact]
    public async Task ExerciseAlert_ToFcmResidents_EachTokenGetsOneWellFormedMessage()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var a = await RegisterAsync(client, "res-a");
        var b = await RegisterAsync(client, "res-b", "en");

        var id = await IssueAsync(admin);
        var summary = await WaitAsync(admin, id, fcm => fcm["delivered"]!.GetValue<long>() == 2);

        Assert.Equal(0, summary["failed"]!.GetValue<long>());
        Assert.Equal(1, _fcm.TokenRequests);
        Assert.Equal(2, _fcm.AcceptedCount);
        var ja = Assert.Single(_fcm.AcceptedFor(a.Token)).Message!;
        var en = Assert.Single(_fcm.AcceptedFor(b.Token)).Message!;

        Assert.Equal(a.Token, ja["token"]!.GetValue<string>());
        Assert.StartsWith("【訓練】", ja["notification"]!["title"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("これは訓練です。", ja["notification"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("高い所へ避難してください。", ja["notification"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("[EXERCISE] ", en["notification"]!["title"]!.GetValue<string>(), StringComparison.Ordinal);

        var data = ja["data"]!.AsObject();
        Assert.All(data, p => Assert.Equal(JsonValueKind.String, p.Value!.GetValueKind()));
        Assert.Equal(id, data["alertId"]!.GetValue<string>());
        Assert.Equal("1", data["version"]!.GetValue<string>());
        Assert.Equal("Alert", data["msgType"]!.GetValue<string>());
        Assert.Equal("Exercise", data["status"]!.GetValue<string>());
        Assert.Equal($"{id}:1:{a.Id:N}:fcm", data["idempotencyKey"]!.GetValue<string>());

        var android = ja["android"]!;
        Assert.Equal("HIGH", android["priority"]!.GetValue<string>());
        Assert.Equal($"alert-{id}", android["collapse_key"]!.GetValue<string>());
        Assert.Matches(@"^\d+s$", android["ttl"]!.GetValue<string>());
        var apns = ja["apns"]!["headers"]!;
        Assert.Equal("10", apns["apns-priority"]!.GetValue<string>());
        Assert.Equal("alert", apns["apns-push-type"]!.GetValue<string>());
        Assert.Equal($"alert-{id}", apns["apns-collapse-id"]!.GetValue<string>());
        Assert.Equal("time-sensitive", ja["apns"]!["payload"]!["aps"]!["interruption-level"]!.GetValue<string>());
        var webpush = ja["webpush"]!["headers"]!;
        Assert.Equal("high", webpush["Urgency"]!.GetValue<string>());
        Assert.Equal(id, webpush["Topic"]!.GetValue<string>());

        var receipts = _receipts.Snapshot();
        Assert.Equal(["res-a", "res-b"], receipts.Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.All(receipts, r => Assert.Equal((id, 1, "fcm"), (r.AlertId, r.Version, r.Channel)));
        Assert.Contains(receipts, r => r.DeliveryId == $"{id}:1:{a.Id:N}:fcm");
    }

    [Fact]
    public async Task GoneTokens_UnregisteredSenderMismatchAndInvalidToken_ArePrunedAndNeverRetried()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var unknown = FakeFcm.DeviceToken("never-registered");
        var foreign = FakeFcm.DeviceToken("other-project-device");
        _fcm.RegisterToken(foreign, "other-project-device", projectId: "someone-elses-project");
        var invalid = FakeFcm.DeviceToken("garbled-device");
        _fcm.RegisterToken(invalid, "garbled-device");
        _fcm.Fail(FcmFault.InvalidToken, invalid);
        var residents = new[] { await RegisterAsync(client, unknown), await RegisterAsync(client, foreign), await RegisterAsync(client, invalid) };

        var id = await IssueAsync(admin);
        var summary = await WaitAsync(admin, id, fcm => fcm["gone"]!.GetValue<long>() == 3);

        Assert.Equal(0, summary["delivered"]!.GetValue<long>());
        Assert.Equal(0, _fcm.AcceptedCount);
        foreach (var r in residents)
        {
            Assert.Equal(1, _fcm.AttemptsFor(r.Token));
            var endpoint = Assert.Single((await GetResidentAsync(client, r))["endpoints"]!.AsArray())!;
            Assert.NotEqual("active", endpoint["state"]!.GetValue<string>());
        }

        var second = await IssueAsync(admin, "第二報");
        await Task.Delay(500);
        Assert.All(residents, r => Assert.Equal(1, _fcm.AttemptsFor(r.Token)));
        Assert.Equal(0, (await AlertAsync(admin, second))["delivery"]!["total"]!["queued"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(nameof(FcmFault.QuotaExceeded), 1)]
    [InlineData(nameof(FcmFault.Unavailable), 1)]
    [InlineData(nameof(FcmFault.Internal), 0)]
    public async Task RetryableFault_OnFirstAttempt_DeliversOnceAfterRetryAfter(string fault, int retryAfterSeconds)
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var r = await RegisterAsync(client, "retry-me");
        _fcm.Fail(Enum.Parse<FcmFault>(fault), r.Token, times: 1, retryAfter: retryAfterSeconds > 0 ? TimeSpan.FromSeconds(retryAfterSeconds) : null);

        var clock = Stopwatch.StartNew();
        var id = await IssueAsync(admin);
        await WaitAsync(admin, id, fcm => fcm["delivered"]!.GetValue<long>() == 1);

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(retryAfterSeconds * 0.95), $"retried after {clock.Elapsed}");
        Assert.Equal(2, _fcm.AttemptsFor(r.Token));
        Assert.Single(_fcm.AcceptedFor(r.Token));
        await Task.Delay(300);
        Assert.Single(_fcm.AcceptedFor(r.Token));
    }

    [Fact]
    public async Task UnavailableWithRetryAfter_MoreTimesThanMaxAttempts_ComesBackWhenToldAndDeliversOnce()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var r = await RegisterAsync(client, "long-outage");
        // Seven "503, retry in 1 s" answers: more than Delivery:MaxAttempts (5 here). Throttles follow Retry-After
        // without growing and do not use up the failure budget, so the message still goes out once FCM is back.
        _fcm.Fail(FcmFault.Unavailable, r.Token, times: 7, retryAfter: TimeSpan.FromSeconds(1));

        var id = await IssueAsync(admin);
        var fcm = await WaitAsync(admin, id, c => c["delivered"]!.GetValue<long>() == 1);

        Assert.Equal(0, fcm["failed"]!.GetValue<long>());
        Assert.Equal(8, _fcm.AttemptsFor(r.Token));
        Assert.Single(_fcm.AcceptedFor(r.Token));
    }

    [Fact]
    public async Task QuotaExceeded_ForTheProject_PausesTheWholeChannelAndDeliversEveryTokenOnce()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var residents = new List<Registered>();
        for (var i = 0; i < 20; i++)
        {
            residents.Add(await RegisterAsync(client, $"quota-{i}"));
        }

        _fcm.Fail(FcmFault.QuotaExceeded, times: 1, retryAfter: TimeSpan.FromSeconds(1));
        var id = await IssueAsync(admin);
        await WaitAsync(admin, id, fcm => fcm["delivered"]!.GetValue<long>() == 20);

        Assert.All(residents, r => Assert.Single(_fcm.AcceptedFor(r.Token)));
        // Only the requests already in flight when the 429 came back reached the fake a second time.
        Assert.True(residents.Sum(r => _fcm.AttemptsFor(r.Token)) < 40);
    }

    [Fact]
    public async Task ExpiredAccessToken_RefreshesOnceAndRetriesTheSameRequest()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var r = await RegisterAsync(client, "refresh-me");
        var first = await IssueAsync(admin);
        await WaitAsync(admin, first, fcm => fcm["delivered"]!.GetValue<long>() == 1);
        Assert.Equal(1, _fcm.TokenRequests);

        _fcm.ExpireAccessTokens();
        var second = await IssueAsync(admin, "第二報");
        await WaitAsync(admin, second, fcm => fcm["delivered"]!.GetValue<long>() == 1);

        Assert.Equal(2, _fcm.TokenRequests);
        Assert.Equal(1, _fcm.UnauthenticatedRequests);
        Assert.Equal([first, second], _fcm.AcceptedFor(r.Token).Select(m => m.Message!["data"]!["alertId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ThirdPartyAuthError_IsRejectedWithoutRetryAndAlarmsUntilThatTokenSucceeds()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var iphone = await RegisterAsync(client, "iphone");
        var android = await RegisterAsync(client, "android");
        _fcm.Fail(FcmFault.ThirdPartyAuth, iphone.Token);

        var id = await IssueAsync(admin);
        await WaitAsync(admin, id, fcm => fcm["failed"]!.GetValue<long>() == 1 && fcm["delivered"]!.GetValue<long>() == 1);
        await Task.Delay(500);

        Assert.Equal(1, _fcm.AttemptsFor(iphone.Token));
        var status = await ChannelStatusAsync(admin);
        Assert.False(status["healthy"]!.GetValue<bool>());
        Assert.Contains("THIRD_PARTY_AUTH_ERROR", status["problem"]!.GetValue<string>(), StringComparison.Ordinal);

        _fcm.ClearFailures();
        var second = await IssueAsync(admin, "第二報");
        await WaitAsync(admin, second, fcm => fcm["delivered"]!.GetValue<long>() == 2);

        status = await ChannelStatusAsync(admin);
        Assert.True(status["healthy"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Null(status["problem"]);
        Assert.Single(_fcm.AcceptedFor(iphone.Token));
        Assert.Equal(2, _fcm.AcceptedFor(android.Token).Count);
    }

    [Fact]
    public async Task InvalidArgument_NotAboutTheToken_IsRejectedOnceAndTheEndpointKept()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var r = await RegisterAsync(client, "bad-payload");
        _fcm.Fail(FcmFault.InvalidArgument, r.Token);

        var id = await IssueAsync(admin);
        await WaitAsync(admin, id, fcm => fcm["failed"]!.GetValue<long>() == 1);
        await Task.Delay(500);

        Assert.Equal(1, _fcm.AttemptsFor(r.Token));
        var endpoint = Assert.Single((await GetResidentAsync(client, r))["endpoints"]!.AsArray())!;
        Assert.Equal("active", endpoint["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task RegisterEndpoint_WithMalformedToken_IsRefused()
    {
        using var client = _hub.CreateClient();
        var response = await client.PostAsJsonAsync("/api/residents", new
        {
            attributes = new { householdTags = Array.Empty<string>(), language = "ja" },
            places = new[] { new { label = "home", lat = Lat, lon = Lon } },
            endpoints = new[] { new { channel = "fcm", address = "not a token; rm -rf" } },
        });

        await response.AssertProblemAsync(400, "residents.endpoint_invalid");
    }

    [Fact]
    public void Startup_EnabledWithoutCredentials_FailsWithAClearError()
    {
        using var hub = new HubFactory(settings: new() { ["Channels:Fcm:Enabled"] = "true" });

        var error = Assert.Throws<OptionsValidationException>(() => hub.CreateClient());

        Assert.Contains("Channels:Fcm:ProjectId is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Channels:Fcm:ServiceAccountEmail is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("PrivateKeyPem or Channels:Fcm:PrivateKeyFile", error.Message, StringComparison.Ordinal);
    }

    private sealed record Registered(Guid Id, string Token, string ResidentToken);

    private async Task<Registered> RegisterAsync(HttpClient client, string externalIdOrToken, string language = "ja")
    {
        var token = FakeFcm.PlausibleToken(externalIdOrToken) ? externalIdOrToken : _fcm.EndpointFor(externalIdOrToken).Address!;
        var r = await Api.RegisterAsync(client, Lat, Lon, endpoints: [new { channel = "fcm", address = token }], language: language);
        return new Registered(r.Id, token, r.Token);
    }

    private static async Task<string> IssueAsync(HttpClient admin, string headline = "横手川 氾濫危険") =>
        (await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = Lat, lon = Lon, radiusMeters = 1000 } } }, headline: headline)))["id"]!
            .GetValue<string>();

    private static async Task<JsonNode> WaitAsync(HttpClient admin, string id, Func<JsonNode, bool> done)
    {
        var alert = await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["byChannel"]!["fcm"] is { } fcm && done(fcm), TimeSpan.FromSeconds(20));
        return alert["delivery"]!["byChannel"]!["fcm"]!;
    }

    private static async Task<JsonNode> AlertAsync(HttpClient admin, string id) => await (await admin.GetAsync($"/api/alerts/{id}")).JsonAsync();

    private static async Task<JsonNode> GetResidentAsync(HttpClient client, Registered r)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/residents/{r.Id}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", r.ResidentToken);
        var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    private static async Task<JsonNode> ChannelStatusAsync(HttpClient admin)
    {
        var channels = (await (await admin.GetAsync("/api/channels")).JsonAsync()).AsArray();
        return channels.Single(c => c!["name"]!.GetValue<string>() == "fcm")!;
    }
}
