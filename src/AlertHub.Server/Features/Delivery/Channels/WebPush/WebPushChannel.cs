using System.Net;
using System.Text.Json;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>
/// Web Push to browsers (RFC 8030/8291/8292): each message is encrypted for its subscription, signed with the
/// hub's VAPID key and posted to the subscription's push service. 404/410 prune the subscription, 429 waits
/// for Retry-After, 413 and other 4xx are final, 5xx and network errors are retried by the outbox.
/// </summary>
internal sealed partial class WebPushChannel(
    WebPushClient client,
    VapidSigner vapid,
    OutboundUrlPolicy policy,
    IOptions<WebPushChannelOptions> options,
    IOptions<HubOptions> hub,
    TimeProvider time,
    ILogger<WebPushChannel> logger) : IDeliveryChannel, IChannelSetup<WebPushChannelOptions>
{
    public const string ChannelName = ChannelNames.WebPush;

    public static void Configure(ChannelBuilder<WebPushChannelOptions> channel)
    {
        channel.Services.AddSingleton<VapidSigner>();
        channel.Services.AddSingleton<WebPushClient>();
        channel.AddEndpointValidator<WebPushEndpointValidator>()
            .AddHttpClient(configureHandler: (_, handler) =>
            {
                handler.MaxConnectionsPerServer = 256;
                handler.EnableMultipleHttp2Connections = true;
            })
            .MapEndpoints(WebPushChannelSetup.MapVapidPublicKey);
    }

    private readonly string _urlTemplate = options.Value.NotificationUrl ?? hub.Value.PublicBaseUrl.TrimEnd('/') + "/?alert={alertId}";

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    // Notifications show little text; the whole record must stay within 4096 bytes anyway.
    public ChannelLimits Limits { get; } = new(options.Value.MaxBatchSize, MaxTitleLength: 120, MaxBodyLength: 1000, MaxConcurrency: options.Value.MaxConcurrency);

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        return await batch.SendEachAsync(Limits.MaxConcurrency, SendOneAsync, cancellationToken);
    }

    /// <summary>The key material stored in the endpoint's secret column.</summary>
    public static string SerializeKeys(string p256dh, string auth) =>
        JsonSerializer.Serialize(new StoredSubscriptionKeys(p256dh, auth), VapidJsonContext.Default.StoredSubscriptionKeys);

    private async Task<DeliveryItemResult> SendOneAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        if (!policy.IsAllowed(item.Address, out var reason) || !Uri.TryCreate(item.Address, UriKind.Absolute, out var endpoint))
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, reason);
        }

        if (!TryReadKeys(item.Secret, out var keys))
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, "endpoint has no valid p256dh/auth keys");
        }

        var m = item.Message;
        var payload = WebPushPayload.Build(m, item.IdempotencyKey, _urlTemplate.Replace("{alertId}", Uri.EscapeDataString(m.AlertId), StringComparison.Ordinal));
        if (payload is null)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, "payload does not fit one 4096-byte record");
        }

        byte[] body;
        try
        {
            body = WebPushEncryption.Encrypt(payload, keys);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, "p256dh is not a usable P-256 key");
        }

        var o = options.Value;
        var request = new WebPushRequest(endpoint, body, WebPushPayload.TimeToLive(m, o.TimeToLive, time.GetUtcNow()),
            WebPushPayload.UrgencyFor(m), WebPushPayload.TopicFor(m.AlertId), vapid.AuthorizationFor(endpoint));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(o.RequestTimeout);
        try
        {
            var response = await client.SendAsync(request, timeout.Token);
            return Classify(item.WorkId, response, o.DefaultRetryAfter, endpoint);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, "timed out");
        }
        catch (HttpRequestException e)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, e.Message);
        }
    }

    private DeliveryItemResult Classify(long workId, WebPushResponse response, TimeSpan defaultRetryAfter, Uri endpoint)
    {
        var status = response.Status;
        switch (status)
        {
            case >= 200 and < 300:
                return new(workId, DeliveryOutcome.Delivered);
            case 404 or 410:
                return new(workId, DeliveryOutcome.AddressGone, $"HTTP {status}: subscription expired or unsubscribed");
            case 429:
                return new(workId, DeliveryOutcome.Throttled, "HTTP 429", response.RetryAfter ?? defaultRetryAfter);
            case 413:
                return new(workId, DeliveryOutcome.Rejected, "HTTP 413: payload too large");
            case 408 or >= 500:
                return new(workId, DeliveryOutcome.Transient, $"HTTP {status}", response.RetryAfter);
            case 401 or 403:
                // The subscription was made for another application server key, or the service refused our JWT.
                LogVapidRefused(logger, endpoint.Host, status);
                return new(workId, DeliveryOutcome.Rejected, $"HTTP {status}: VAPID authorization refused");
            default:
                return new(workId, DeliveryOutcome.Rejected, $"HTTP {status} {(HttpStatusCode)status}");
        }
    }

    private static bool TryReadKeys(string? secret, out WebPushKeys keys)
    {
        keys = null!;
        if (secret is null)
        {
            return false;
        }

        try
        {
            var stored = JsonSerializer.Deserialize(secret, VapidJsonContext.Default.StoredSubscriptionKeys);
            return stored is not null && WebPushKeys.TryParse(stored.P256dh, stored.Auth, out keys, out _, checkCurve: false);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web Push: {Host} refused our VAPID authorization (HTTP {Status})")]
    private static partial void LogVapidRefused(ILogger logger, string host, int status);
}
