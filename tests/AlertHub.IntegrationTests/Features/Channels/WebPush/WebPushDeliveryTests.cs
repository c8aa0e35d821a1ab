using System.Buffers.Text;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.WebPush;
using AlertHub.MobileSim.Report;
using AlertHub.Server.Features.Delivery.Channels.WebPush;

namespace AlertHub.IntegrationTests.Features.Channels.WebPush;

public sealed class WebPushDeliveryTests : IAsyncLifetime
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.30, lon = 140.55, radiusMeters = 300 } } };

    private readonly ReceiptLog _log = new();
    private FakePushService _push = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _push = new FakePushService(_log);
        await _push.StartAsync();
        _hub = new HubFactory(settings: new Dictionary<string, string?>(_push.HubSettings)
        {
            ["Channels:WebPush:Subject"] = "mailto:bousai@city.yokote.example",
        });
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _push.DisposeAsync();
    }

    private static object Endpoint(FakeSubscription s) => new { channel = "webpush", address = s.Endpoint, keys = new { p256dh = s.P256dh, auth = s.Auth } };

    private async Task<(Registered Resident, FakeSubscription Subscription)> RegisterAsync(HttpClient client, string? applicationServerKey = null)
    {
        var subscription = _push.Subscribe(applicationServerKey: applicationServerKey);
        return (await Api.RegisterAsync(client, 39.30, 140.55, [], [Endpoint(subscription)]), subscription);
    }

    private static long Total(JsonNode alert, string what) => alert["delivery"]!["total"]![what]!.GetValue<long>();

    [Fact]
    public async Task VapidPublicKey_Anonymous_ReturnsUncompressedPointThatSurvivesRestart()
    {
        using var anonymous = _hub.CreateClient();
        var key = (await anonymous.GetFromJsonAsync<JsonObject>(WebPushChannelSetup.VapidPublicKeyPath))!["publicKey"]!.GetValue<string>();

        var point = Base64Url.DecodeFromChars(key);
        Assert.Equal(65, point.Length);
        Assert.Equal(4, point[0]);
        Assert.True(File.Exists(Path.Combine(_hub.DataDirectory, "webpush-vapid.json")));
        using var restarted = new HubFactory(_hub.DataDirectory, new Dictionary<string, string?>(_push.HubSettings));
        using var again = restarted.CreateClient();
        Assert.Equal(key, (await again.GetFromJsonAsync<JsonObject>(WebPushChannelSetup.VapidPublicKeyPath))!["publicKey"]!.GetValue<string>());
    }

    [Fact]
    public async Task IssueAlert_ToSubscribedBrowsers_FakeDecryptsOneSignedMessageEach()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var vapidKey = (await client.GetFromJsonAsync<JsonObject>(WebPushChannelSetup.VapidPublicKeyPath))!["publicKey"]!.GetValue<string>();
        var (a, subA) = await RegisterAsync(client, vapidKey);
        var (b, subB) = await RegisterAsync(client, vapidKey);

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var id = issued["id"]!.GetValue<string>();
        var summary = await Api.WaitForDeliveryAsync(admin, id, s => Total(s, "delivered") == 2, TimeSpan.FromSeconds(15));

        Assert.Equal(2, summary["delivery"]!["byChannel"]!["webpush"]!["delivered"]!.GetValue<long>());
        var messages = _push.Messages;
        Assert.Equal(2, messages.Count);
        Assert.Equal(0, _push.Rejected);
        foreach (var (resident, subscription) in new[] { (a, subA), (b, subB) })
        {
            var m = Assert.Single(messages, m => m.SubscriptionId == subscription.Id);
            Assert.Equal(vapidKey, m.VapidKey);
            Assert.Equal("high", m.Urgency);
            Assert.Equal(WebPushPayload.TopicFor(id), m.Topic);
            Assert.InRange(m.Ttl, 86000, 86400);
            var json = m.Json;
            Assert.StartsWith("【訓練】", json.GetProperty("title").GetString(), StringComparison.Ordinal);
            Assert.Contains("横手川が氾濫危険水位に達しました。", json.GetProperty("body").GetString(), StringComparison.Ordinal);
            Assert.Contains("高い所へ避難してください。", json.GetProperty("body").GetString(), StringComparison.Ordinal);
            Assert.Equal(id, json.GetProperty("alertId").GetString());
            Assert.Equal(1, json.GetProperty("version").GetInt32());
            Assert.Equal("Alert", json.GetProperty("msgType").GetString());
            Assert.Equal("Exercise", json.GetProperty("status").GetString());
            Assert.Equal("Severe", json.GetProperty("severity").GetString());
            Assert.Equal($"{id}:1:{resident.Id:N}:webpush", json.GetProperty("idempotencyKey").GetString());
            Assert.EndsWith($"?alert={id}", json.GetProperty("url").GetString(), StringComparison.Ordinal);
        }

        var receipts = _log.Snapshot();
        Assert.Equal(2, receipts.Count);
        Assert.All(receipts, r => Assert.Equal((id, 1, "webpush"), (r.AlertId, r.Version, r.Channel)));
    }

    [Fact]
    public async Task Register_InvalidSubscriptions_AreRefusedWithCodes()
    {
        using var client = _hub.CreateClient();
        var good = _push.Subscribe();
        var offCurve = Base64Url.DecodeFromChars(good.P256dh);
        offCurve[64] ^= 1;
        var cases = new (object Endpoint, string Code, string Mention)[]
        {
            (new { channel = "webpush", address = good.Endpoint }, "residents.endpoint_invalid", "keys"),
            (new { channel = "webpush", keys = new { p256dh = good.P256dh, auth = good.Auth } }, "residents.endpoint_invalid", "address"),
            (new { channel = "webpush", address = "ftp://push.example.net/x", keys = new { p256dh = good.P256dh, auth = good.Auth } }, "residents.endpoint_url_forbidden", "http"),
            (new { channel = "webpush", address = "https://user:pw@push.example.net/x", keys = new { p256dh = good.P256dh, auth = good.Auth } }, "residents.endpoint_url_forbidden", "Credentials"),
            (new { channel = "webpush", address = good.Endpoint, keys = new { p256dh = "AQID", auth = good.Auth } }, "residents.endpoint_invalid", "p256dh"),
            (new { channel = "webpush", address = good.Endpoint, keys = new { p256dh = Base64Url.EncodeToString(offCurve), auth = good.Auth } }, "residents.endpoint_invalid", "not a point on P-256"),
            (new { channel = "webpush", address = good.Endpoint, keys = new { p256dh = good.P256dh, auth = "c2hvcnQ" } }, "residents.endpoint_invalid", "16-byte"),
        };
        foreach (var (endpoint, code, mention) in cases)
        {
            var response = await client.PostAsJsonAsync("/api/residents", new
            {
                attributes = new { householdTags = Array.Empty<string>(), language = "ja" },
                places = new[] { new { label = "home", lat = 39.30, lon = 140.55 } },
                endpoints = new[] { endpoint },
            });
            var problem = await response.AssertProblemAsync(400, code);
            Assert.Contains(mention, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(410)]
    [InlineData(404)]
    public async Task GoneSubscription_IsPrunedAndCountedGone(int status)
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var (_, subscription) = await RegisterAsync(client);
        if (status == 410)
        {
            _push.Unsubscribe(subscription.Id);
        }
        else
        {
            _push.Script(subscription.Id, 404);
        }

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var summary = await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(), s => Total(s, "gone") == 1, TimeSpan.FromSeconds(15));

        Assert.Equal(0, Total(summary, "delivered"));
        Assert.Empty(_push.Messages);
        // The endpoint is pruned, and the targeting index refreshed, right after the outcome is recorded (which is what the
        // summary shows): the preview may lag by that step (CI saw one stale preview), so it is asked until it has caught up.
        var preview = await Eventually.UntilAsync(async () => await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = Here })).JsonAsync(),
            p => p["recipients"]!.GetValue<int>() == 0, TimeSpan.FromSeconds(5), "the preview without the pruned subscription");
        Assert.Equal(1, preview["unreachable"]!.GetValue<int>());
    }

    [Fact]
    public async Task Throttled429_WaitsForRetryAfterThenDeliversExactlyOnce()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var (resident, subscription) = await RegisterAsync(client);
        _push.Script(subscription.Id, 429, TimeSpan.FromSeconds(2), times: 1);

        var started = DateTimeOffset.UtcNow;
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var id = issued["id"]!.GetValue<string>();
        await Api.WaitForDeliveryAsync(admin, id, s => Total(s, "delivered") == 1, TimeSpan.FromSeconds(15));

        var message = Assert.Single(_push.Messages);
        Assert.True(message.ReceivedAt - started >= TimeSpan.FromSeconds(1.9), $"delivered {message.ReceivedAt - started} after issue, before Retry-After");
        Assert.Equal($"{id}:1:{resident.Id:N}:webpush", message.Json.GetProperty("idempotencyKey").GetString());
    }

    [Fact]
    public async Task ServerErrors_AreRetriedUntilDeliveredWithoutDuplicates()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var (_, subscription) = await RegisterAsync(client);
        _push.Script(subscription.Id, 503, times: 2);

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var summary = await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(), s => Total(s, "delivered") == 1, TimeSpan.FromSeconds(15));

        Assert.Equal(0, Total(summary, "queued"));
        await Task.Delay(500);
        Assert.Single(_push.Messages);
    }

    [Fact]
    public async Task PayloadTooLarge413_FailsWithoutRetry()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var (_, subscription) = await RegisterAsync(client);
        _push.Script(subscription.Id, 413);

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var id = issued["id"]!.GetValue<string>();
        var summary = await Api.WaitForDeliveryAsync(admin, id, s => Total(s, "failed") == 1, TimeSpan.FromSeconds(15));

        Assert.Equal(0, Total(summary, "delivered"));
        Assert.Equal(0, Total(summary, "queued"));
        Assert.Empty(_push.Messages);
    }

    [Fact]
    public async Task Update_ReplacesUndeliveredMessageThroughTopic()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        var (_, subscription) = await RegisterAsync(client);
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var id = issued["id"]!.GetValue<string>();
        await Api.WaitForDeliveryAsync(admin, id, s => Total(s, "delivered") == 1, TimeSpan.FromSeconds(15));

        var update = await (await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new
        {
            severity = "Moderate",
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "避難範囲拡大", body = "避難範囲を拡大しました。" } },
        })).JsonAsync();
        Assert.Equal(2, update["version"]!.GetValue<int>());
        await Api.WaitForDeliveryAsync(admin, id, s => Total(s, "delivered") == 2, TimeSpan.FromSeconds(15));

        Assert.Equal(2, _push.Messages.Count);
        Assert.Single(_push.Messages.Select(m => m.Topic).Distinct());
        var inbox = Assert.Single(_push.Inbox(subscription.Id));
        Assert.Equal(2, inbox.Json.GetProperty("version").GetInt32());
        Assert.Equal("Update", inbox.Json.GetProperty("msgType").GetString());
        Assert.Contains("【更新】", inbox.Json.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal("normal", inbox.Urgency);
    }

    [Fact]
    public async Task SubscriptionForAnotherApplicationServerKey_IsRejectedNotRetried()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var q = other.ExportParameters(false).Q;
        await RegisterAsync(client, Base64Url.EncodeToString([4, .. q.X!, .. q.Y!]));

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(), s => Total(s, "failed") == 1, TimeSpan.FromSeconds(15));

        Assert.Empty(_push.Messages);
        Assert.StartsWith("403", _push.LastRejection, StringComparison.Ordinal);
    }
}
