using System.Threading.RateLimiting;
using AlertHub.Core.Delivery;
using Google.Apis.Auth.OAuth2.Responses;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Fcm;

/// <summary>
/// Firebase Cloud Messaging HTTP v1: one request per device token (FCM has no batch send since 2024), many in flight
/// over HTTP/2, paced by a token bucket under the project quota. Outcomes follow FCM's error table:
/// <list type="bullet">
/// <item>UNREGISTERED, SENDER_ID_MISMATCH, INVALID_ARGUMENT on <c>message.token</c> → AddressGone (the token is pruned).</item>
/// <item>QUOTA_EXCEEDED → Throttled after Retry-After (default 60 s), and the rest of the channel pauses as long.</item>
/// <item>UNAVAILABLE / INTERNAL → Throttled with Retry-After when given, else Transient (the outbox backs off with jitter).</item>
/// <item>UNAUTHENTICATED without an FCM code → the access token is refreshed once and the request repeated.</item>
/// <item>THIRD_PARTY_AUTH_ERROR (APNs / Web Push credentials) → Rejected, and the channel reports a health problem until a
/// token that hit it is delivered again.</item>
/// <item>Other INVALID_ARGUMENT and 4xx → Rejected (a hub bug; retrying cannot help).</item>
/// </list>
/// </summary>
internal sealed partial class FcmChannel : IDeliveryChannel, IChannelHealth, IChannelSetup<FcmChannelOptions>, IDisposable
{
    public const string ChannelName = ChannelNames.Fcm;
    public const string HttpClientName = ChannelName;
    private const int MaxRememberedThirdPartyTokens = 10_000;

    private static readonly TimeSpan DefaultQuotaPause = TimeSpan.FromMinutes(1);

    private readonly IHttpClientFactory _clients;
    private readonly IFcmAccessTokens _tokens;
    private readonly FcmChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FcmChannel> _logger;
    private readonly Uri _sendUri;
    private readonly TokenBucketRateLimiter _limiter;
    private readonly Lock _healthGate = new();
    private readonly HashSet<string> _thirdPartyTokens = new(StringComparer.Ordinal);
    private readonly ChannelPauses _pauses;
    private string? _credentialProblem;
    private string? _thirdPartyProblem;

    public FcmChannel(IHttpClientFactory clients, IFcmAccessTokens tokens, IOptions<FcmChannelOptions> options, ChannelPauses pauses, TimeProvider time,
        ILogger<FcmChannel> logger)
    {
        _pauses = pauses;
        _clients = clients;
        _tokens = tokens;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _sendUri = FcmClient.SendUri(_options);
        _limiter = CreateLimiter(_options.QuotaPerMinute);

        // A batch must fit in a few seconds of quota, or the batch timeout would cut it off while it waits for tokens.
        var batch = Math.Clamp(_options.QuotaPerMinute / 6, 1, _options.MaxBatchSize);
        Limits = new ChannelLimits(batch, _options.MaxTitleLength, _options.MaxBodyLength, _options.MaxConcurrency);
    }

    /// <summary>
    /// The provider's client is not guarded by <c>Security:OutboundUrls</c>: its URL is the operator's own configuration,
    /// and an allowlist written for residents' webhooks must not cut the city off from FCM.
    /// </summary>
    public static void Configure(ChannelBuilder<FcmChannelOptions> channel)
    {
        channel.AddOptionsValidator<FcmChannelOptionsValidator>()
            .AddEndpointValidator<FcmEndpointValidator>()
            .AddHttpClient(guarded: false,
                (o, client) =>
                {
                    client.DefaultRequestVersion = o.ParsedHttpVersion;
                    client.DefaultVersionPolicy = o.HttpVersionPolicy;
                },
                (o, handler) =>
                {
                    // HTTP/2 multiplexes ~100 streams per connection; more connections open as concurrency needs them.
                    handler.EnableMultipleHttp2Connections = true;
                    handler.MaxConnectionsPerServer = o.MaxConcurrency;
                });
        channel.Services.AddSingleton<IFcmAccessTokens>(sp =>
            new GoogleFcmAccessTokens(sp.GetRequiredService<IOptions<FcmChannelOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
    }

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    public ChannelLimits Limits { get; }

    public string? Problem
    {
        get
        {
            lock (_healthGate)
            {
                return (_credentialProblem, _thirdPartyProblem) switch
                {
                    (null, null) => null,
                    ({ } a, null) => a,
                    (null, { } b) => b,
                    ({ } a, { } b) => a + " " + b,
                };
            }
        }
    }

    /// <summary>Smooth pacing: the per-minute quota refilled in 100 ms slices, at most one second's worth in a burst.</summary>
    internal static TokenBucketRateLimiter CreateLimiter(int quotaPerMinute)
    {
        var perPeriod = Math.Max(1, quotaPerMinute / 600);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(perPeriod, quotaPerMinute / 60),
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) * perPeriod / quotaPerMinute,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var client = new FcmClient(_clients.CreateClient(HttpClientName), _tokens, _sendUri, _time);
        return await batch.SendEachAsync(_options.MaxConcurrency, (item, ct) => SendOneAsync(client, item, ct), cancellationToken);
    }

    private async Task<DeliveryItemResult> SendOneAsync(FcmClient client, DeliveryItem item, CancellationToken cancellationToken)
    {
        if (Paused() is { } pause)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Throttled, "paused: FCM QUOTA_EXCEEDED", pause);
        }

        using var lease = await _limiter.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Throttled, "local rate limit", TimeSpan.FromSeconds(1));
        }

        var body = FcmPayload.Build(item, _options, _time.GetUtcNow());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            var response = await client.SendAsync(body, timeout.Token);
            return Classify(item, response);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, "timed out");
        }
        catch (HttpRequestException e)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, e.Message);
        }
        catch (TokenResponseException e)
        {
            var detail = $"token endpoint refused the service account: {e.Error?.Error} {e.Error?.ErrorDescription}".TrimEnd();
            RaiseCredentialProblem(detail);
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, detail);
        }
    }

    internal DeliveryItemResult Classify(DeliveryItem item, FcmResponse r)
    {
        var id = item.WorkId;
        if (r.IsSuccess)
        {
            OnDelivered(item.Address);
            return new DeliveryItemResult(id, DeliveryOutcome.Delivered);
        }

        var detail = $"{r.ErrorCode ?? r.Status ?? "HTTP"} ({r.HttpStatus}){(r.Message is null ? "" : ": " + r.Message)}";
        switch (r.ErrorCode)
        {
            case "UNREGISTERED" or "SENDER_ID_MISMATCH":
                return new DeliveryItemResult(id, DeliveryOutcome.AddressGone, detail);
            case "INVALID_ARGUMENT" when IsTokenViolation(r):
                return new DeliveryItemResult(id, DeliveryOutcome.AddressGone, detail);
            case "INVALID_ARGUMENT":
                LogInvalidArgument(_logger, r.Field ?? "?", r.Message ?? "");
                return new DeliveryItemResult(id, DeliveryOutcome.Rejected, detail);
            case "QUOTA_EXCEEDED":
                var pause = r.RetryAfter ?? DefaultQuotaPause;
                PauseFor(pause);
                return new DeliveryItemResult(id, DeliveryOutcome.Throttled, detail, pause);
            case "UNAVAILABLE" or "INTERNAL":
                return r.RetryAfter is { } after
                    ? new DeliveryItemResult(id, DeliveryOutcome.Throttled, detail, after)
                    : new DeliveryItemResult(id, DeliveryOutcome.Transient, detail);
            case "THIRD_PARTY_AUTH_ERROR":
                RaiseThirdPartyProblem(item.Address);
                return new DeliveryItemResult(id, DeliveryOutcome.Rejected, detail);
            case "UNSPECIFIED_ERROR":
                return new DeliveryItemResult(id, DeliveryOutcome.Rejected, detail);
        }

        // No FCM code: classify on the canonical status / HTTP status.
        switch (r.HttpStatus)
        {
            case 401:
                RaiseCredentialProblem($"FCM refused a freshly issued access token: {r.Message}");
                return new DeliveryItemResult(id, DeliveryOutcome.Transient, detail);
            case 403:
                // PERMISSION_DENIED without SENDER_ID_MISMATCH: the service account lacks cloudmessaging.messages.create.
                RaiseCredentialProblem($"FCM denied the service account: {r.Message}");
                return new DeliveryItemResult(id, DeliveryOutcome.Transient, detail);
            case 429:
                var pause = r.RetryAfter ?? DefaultQuotaPause;
                PauseFor(pause);
                return new DeliveryItemResult(id, DeliveryOutcome.Throttled, detail, pause);
            case 408 or >= 500:
                return r.RetryAfter is { } after
                    ? new DeliveryItemResult(id, DeliveryOutcome.Throttled, detail, after)
                    : new DeliveryItemResult(id, DeliveryOutcome.Transient, detail);
            default:
                return new DeliveryItemResult(id, DeliveryOutcome.Rejected, detail);
        }
    }

    private static bool IsTokenViolation(FcmResponse r) =>
        r.Field == "message.token"
        || (r.Message?.Contains("registration token", StringComparison.OrdinalIgnoreCase) ?? false);

    /// <summary>The project's quota is shared by every node: a pause one node is told of holds on all (see <see cref="ChannelPauses"/>).</summary>
    private TimeSpan? Paused() => _pauses.PausedFor(ChannelName);

    private void PauseFor(TimeSpan pause) => _pauses.Pause(ChannelName, pause);

    private void OnDelivered(string token)
    {
        if (Volatile.Read(ref _credentialProblem) is null && Volatile.Read(ref _thirdPartyProblem) is null)
        {
            return;
        }

        lock (_healthGate)
        {
            if (_credentialProblem is not null)
            {
                _credentialProblem = null;
                LogHealthCleared(_logger, "credential");
            }

            // Android tokens keep succeeding while APNs is broken, so only a token that hit the error clears it.
            if (_thirdPartyProblem is not null && _thirdPartyTokens.Contains(token))
            {
                _thirdPartyProblem = null;
                _thirdPartyTokens.Clear();
                LogHealthCleared(_logger, "THIRD_PARTY_AUTH_ERROR");
            }
        }
    }

    private void RaiseCredentialProblem(string problem)
    {
        lock (_healthGate)
        {
            if (_credentialProblem is null)
            {
                LogCredentialProblem(_logger, problem);
            }

            _credentialProblem = "fcm: " + problem;
        }
    }

    private void RaiseThirdPartyProblem(string token)
    {
        lock (_healthGate)
        {
            if (_thirdPartyProblem is null)
            {
                LogThirdPartyAuthError(_logger);
                _thirdPartyProblem = $"fcm: THIRD_PARTY_AUTH_ERROR since {_time.GetUtcNow():O} — the APNs certificate/key or Web Push credentials in the Firebase project are invalid or missing; iOS and web devices get nothing until it is fixed.";
            }

            if (_thirdPartyTokens.Count < MaxRememberedThirdPartyTokens)
            {
                _thirdPartyTokens.Add(token);
            }
        }
    }

    public void Dispose() => _limiter.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "FCM rejected a message as INVALID_ARGUMENT (field {Field}): {Reason}")]
    private static partial void LogInvalidArgument(ILogger logger, string field, string reason);


    [LoggerMessage(Level = LogLevel.Error, Message = "FCM THIRD_PARTY_AUTH_ERROR: APNs or Web Push credentials in the Firebase project are invalid; channel marked unhealthy")]
    private static partial void LogThirdPartyAuthError(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "FCM credential problem: {Problem}")]
    private static partial void LogCredentialProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "FCM health problem cleared ({Kind})")]
    private static partial void LogHealthCleared(ILogger logger, string kind);
}
