using AlertHub.Server.Features.Delivery;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.Fcm;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Channels.Fcm;

public sealed class FcmChannelTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 3, 0, 0, TimeSpan.Zero);
    private const string Token = "cAbCdEfGhIjKlMnOpQrStU:APA91bHunvTokenTokenToken";

    [Theory]
    [InlineData(404, "NOT_FOUND", "UNREGISTERED", null, DeliveryOutcome.AddressGone)]
    [InlineData(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", null, DeliveryOutcome.AddressGone)]
    [InlineData(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token", DeliveryOutcome.AddressGone)]
    [InlineData(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.android.ttl", DeliveryOutcome.Rejected)]
    [InlineData(503, "UNAVAILABLE", "UNAVAILABLE", null, DeliveryOutcome.Transient)]
    [InlineData(500, "INTERNAL", "INTERNAL", null, DeliveryOutcome.Transient)]
    [InlineData(502, null, null, null, DeliveryOutcome.Transient)]
    [InlineData(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR", null, DeliveryOutcome.Rejected)]
    [InlineData(400, null, "UNSPECIFIED_ERROR", null, DeliveryOutcome.Rejected)]
    [InlineData(413, null, null, null, DeliveryOutcome.Rejected)]
    public void Classify_FcmErrorTable_GivesTheDocumentedOutcome(int status, string? canonical, string? code, string? field, DeliveryOutcome expected)
    {
        using var channel = Channel();

        var result = channel.Classify(Item(), new FcmResponse(status, canonical, code, "msg", field));

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(7, result.WorkId);
    }

    [Fact]
    public void Classify_InvalidTokenMessageWithoutFieldViolation_IsAddressGone()
    {
        using var channel = Channel();

        var result = channel.Classify(Item(), new FcmResponse(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"));

        Assert.Equal(DeliveryOutcome.AddressGone, result.Outcome);
    }

    [Fact]
    public void Classify_UnavailableWithRetryAfter_IsThrottledForThatLong()
    {
        using var channel = Channel();

        var result = channel.Classify(Item(), new FcmResponse(503, "UNAVAILABLE", "UNAVAILABLE", RetryAfter: TimeSpan.FromSeconds(7)));

        Assert.Equal(DeliveryOutcome.Throttled, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
        Assert.Null(channel.Problem);
    }

    [Fact]
    public async Task QuotaExceeded_WithoutRetryAfter_ThrottlesOneMinuteAndPausesTheRestOfTheChannel()
    {
        var handler = new CountingHandler();
        using var channel = Channel(handler);

        var result = channel.Classify(Item(), new FcmResponse(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"));
        var report = await channel.SendAsync(new DeliveryBatch("fcm", [Item(8), Item(9)]), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Throttled, result.Outcome);
        Assert.Equal(TimeSpan.FromMinutes(1), result.RetryAfter);
        Assert.All(report.Results, r => Assert.Equal(DeliveryOutcome.Throttled, r.Outcome));
        Assert.All(report.Results, r => Assert.InRange(r.RetryAfter!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1)));
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public void ThirdPartyAuthError_RaisesAProblem_ClearedOnlyWhenAnAffectedTokenSucceeds()
    {
        using var channel = Channel();
        const string other = "zzzzzzzzzzzzzzzzzzzzzz:APA91bAndroidAndroidAndroid";

        channel.Classify(Item(), new FcmResponse(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"));
        var raised = channel.Problem;
        channel.Classify(Item(address: other), new FcmResponse(200));
        var afterAndroid = channel.Problem;
        channel.Classify(Item(), new FcmResponse(200));

        Assert.Contains("THIRD_PARTY_AUTH_ERROR", raised, StringComparison.Ordinal);
        Assert.Equal(raised, afterAndroid);
        Assert.Null(channel.Problem);
    }

    [Fact]
    public void UnauthenticatedAfterRefresh_IsTransientAndACredentialProblemUntilAnySuccess()
    {
        using var channel = Channel();

        var result = channel.Classify(Item(), new FcmResponse(401, "UNAUTHENTICATED", null, "Request had invalid authentication credentials.", Refreshed: true));
        var raised = channel.Problem;
        channel.Classify(Item(address: "yyyyyyyyyyyyyyyyyyyyyy:APA91bOther"), new FcmResponse(200));

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
        Assert.Contains("access token", raised, StringComparison.Ordinal);
        Assert.Null(channel.Problem);
    }

    [Fact]
    public async Task Send_Expired401_RefreshesOnceAndRetries()
    {
        var handler = new CountingHandler(first: HttpStatusCode.Unauthorized);
        var tokens = new StubTokens();
        using var channel = Channel(handler, tokens);

        var report = await channel.SendAsync(new DeliveryBatch("fcm", [Item()]), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(report.Results).Outcome);
        Assert.Equal(2, handler.Requests);
        Assert.Equal(["Bearer token-1", "Bearer token-2"], handler.Authorizations);
        Assert.Equal(1, tokens.Refreshes);
        Assert.All(handler.Versions, v => Assert.Equal((HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower), v));
    }

    [Fact]
    public void ParseError_GoogleBody_ReadsStatusCodeAndField()
    {
        var body = """
            {"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT",
              "details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"},
                         {"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.token","description":"x"}]}]}}
            """u8;

        var r = FcmClient.ParseError(400, body);

        Assert.Equal(("INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token"), (r.Status, r.ErrorCode, r.Field));
        Assert.Equal("The registration token is not a valid FCM registration token", r.Message);
    }

    [Fact]
    public void ParseError_NotJson_KeepsTheHttpStatus()
    {
        var r = FcmClient.ParseError(502, "<html>Bad Gateway</html>"u8);

        Assert.Equal(502, r.HttpStatus);
        Assert.Null(r.ErrorCode);
    }

    [Fact]
    public void Payload_LongestJapaneseMessage_StaysUnder4096BytesWithStringData()
    {
        var options = new FcmChannelOptions { AndroidChannelId = "bousai" };
        var message = Message(headline: new string('警', options.MaxTitleLength), body: new string('避', options.MaxBodyLength),
            instruction: new string('難', options.MaxBodyLength), expires: Now.AddHours(2));

        var bytes = FcmPayload.Build(Item(message: message), options, Now);
        var m = JsonNode.Parse(bytes)!["message"]!;

        Assert.True(bytes.Length < 4096, $"{bytes.Length} bytes");
        Assert.Equal(options.MaxBodyLength, m["notification"]!["body"]!.GetValue<string>().Length);
        Assert.EndsWith("…", m["notification"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(m["data"]!.AsObject(), p => Assert.Equal(System.Text.Json.JsonValueKind.String, p.Value!.GetValueKind()));
        Assert.Equal("7200s", m["android"]!["ttl"]!.GetValue<string>());
        Assert.Equal("bousai", m["android"]!["notification"]!["channel_id"]!.GetValue<string>());
        Assert.Equal(Now.AddHours(2).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            m["apns"]!["headers"]!["apns-expiration"]!.GetValue<string>());
        Assert.Equal("7200", m["webpush"]!["headers"]!["TTL"]!.GetValue<string>());
    }

    [Fact]
    public void Payload_NoExpiry_UsesConfiguredTtlCappedAtFourWeeks()
    {
        var bytes = FcmPayload.Build(Item(message: Message()), new FcmChannelOptions { Ttl = TimeSpan.FromDays(28) }, Now);

        Assert.Equal("2419200s", JsonNode.Parse(bytes)!["message"]!["android"]!["ttl"]!.GetValue<string>());
        Assert.Null(JsonNode.Parse(bytes)!["message"]!["data"]!["expires"]);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef")]
    [InlineData("JMA:2026-11-22T03:00:00+09:00/地震情報", null)]
    public void WebPushTopic_IsAtMost32UrlSafeCharacters(string alertId, string? expected)
    {
        var topic = FcmPayload.WebPushTopic(alertId);

        Assert.Matches("^[A-Za-z0-9_-]{1,32}$", topic);
        if (expected is not null)
        {
            Assert.Equal(expected, topic);
        }
    }

    [Theory]
    [InlineData("cAbCdEfGhIjKlMnOpQrStU:APA91bHunvTokenTokenToken", true)]
    [InlineData("short", false)]
    [InlineData("has spaces in it which is not ok at all", false)]
    [InlineData("<script>alert(1)</script>aaaaaaaaaa", false)]
    public void EndpointValidator_ChecksTokenLengthAndCharset(string token, bool valid)
    {
        var validator = new FcmEndpointValidator();

        if (valid)
        {
            Assert.Equal(new ValidEndpoint("fcm", token, null), validator.Validate(new EndpointDto("fcm", token, "ignored"), 0));
        }
        else
        {
            var e = Assert.Throws<RequestValidationException>(() => validator.Validate(new EndpointDto("fcm", token, null), 2));
            Assert.Equal(Problems.ResidentEndpointInvalid, e.Code);
        }
    }

    [Fact]
    public void OptionsValidator_BadSettings_ListsEveryProblem()
    {
        var result = new FcmChannelOptionsValidator().Validate(null, new FcmChannelOptions
        {
            Enabled = true,
            ProjectId = "Bad Project",
            ServiceAccountEmail = "x@y",
            PrivateKeyPem = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
            BaseUrl = "ftp://example",
            QuotaPerMinute = 10,
            HttpVersion = "3.0",
        });

        Assert.True(result.Failed);
        Assert.Contains("ProjectId", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("PKCS#8", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("BaseUrl", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("QuotaPerMinute", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("HttpVersion", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsValidator_Disabled_NeedsNothing() =>
        Assert.True(new FcmChannelOptionsValidator().Validate(null, new FcmChannelOptions()).Succeeded);

    [Theory]
    [InlineData(600_000, 10_000, 1000, 100)]
    [InlineData(60, 1, 1, 1000)]
    [InlineData(1200, 20, 2, 100)]
    public void Limiter_PacesTheQuotaPerMinute(int quota, int burst, int perPeriod, int periodMs)
    {
        using var limiter = FcmChannel.CreateLimiter(quota);

        Assert.Equal(burst, limiter.GetStatistics()!.CurrentAvailablePermits);
        Assert.Equal(quota, perPeriod * (60_000 / periodMs));
        Assert.Equal(TimeSpan.FromMilliseconds(periodMs), limiter.ReplenishmentPeriod);
    }

    [Fact]
    public void Limits_SmallQuota_ShrinksTheBatchToFitTheBatchTimeout()
    {
        using var small = Channel(options: new FcmChannelOptions { QuotaPerMinute = 600, MaxBatchSize = 1000 });
        using var normal = Channel();

        Assert.Equal(100, small.Limits.MaxBatchSize);
        Assert.Equal(1000, normal.Limits.MaxBatchSize);
    }

    private static FcmChannel Channel(HttpMessageHandler? handler = null, IFcmAccessTokens? tokens = null, FcmChannelOptions? options = null)
    {
        options ??= new FcmChannelOptions();
        options.Enabled = true;
        options.ProjectId ??= "yokote-bousai";
        options.BaseUrl = "http://127.0.0.1:9";
        var pauses = new ChannelPauses(new AlertHub.Server.Features.Cluster.InProcessClusterEvents(NullLogger<AlertHub.Server.Features.Cluster.InProcessClusterEvents>.Instance),
            TimeProvider.System, NullLogger<ChannelPauses>.Instance);
        return new FcmChannel(new StubClients(handler ?? new CountingHandler()), tokens ?? new StubTokens(), Options.Create(options),
            pauses, TimeProvider.System, NullLogger<FcmChannel>.Instance);
    }

    private static RenderedMessage Message(string headline = "【訓練】横手川 氾濫危険", string body = "これは訓練です。", string? instruction = null, DateTimeOffset? expires = null) =>
        new("0123456789abcdef0123456789abcdef", 1, "Alert", "Exercise", "Severe", "Immediate", "洪水", "ja", headline, body, instruction, "横手市", Now, expires);

    private static DeliveryItem Item(long workId = 7, string address = Token, RenderedMessage? message = null) =>
        new(workId, $"a:1:{Guid.Empty:N}:fcm", Guid.Empty, address, null, message ?? Message());

    private sealed class StubClients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    private sealed class StubTokens : IFcmAccessTokens
    {
        private int _generation = 1;

        public int Refreshes { get; private set; }

        public Task<string> GetAsync(CancellationToken cancellationToken) => Task.FromResult($"token-{_generation}");

        public Task RefreshAsync(string rejected, CancellationToken cancellationToken)
        {
            Refreshes++;
            _generation++;
            return Task.CompletedTask;
        }
    }

    private sealed class CountingHandler(HttpStatusCode? first = null) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => _requests;

        public List<string> Authorizations { get; } = [];

        public List<(Version, HttpVersionPolicy)> Versions { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _requests);
            lock (Authorizations)
            {
                Authorizations.Add(request.Headers.Authorization!.ToString());
                Versions.Add((request.Version, request.VersionPolicy));
            }

            if (n == 1 && first == HttpStatusCode.Unauthorized)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized)
                {
                    Content = new StringContent("""{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}""",
                        Encoding.UTF8, "application/json"),
                });
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"name":"projects/yokote-bousai/messages/0:1%ab"}""", Encoding.UTF8, "application/json"),
            });
        }
    }
}
