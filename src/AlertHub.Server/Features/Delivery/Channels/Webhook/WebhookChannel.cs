using System.Net;
using System.Text.Json;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Webhook;

/// <summary>Configuration section <c>Channels:Webhook</c>.</summary>
public sealed class WebhookChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false; appsettings.json turns it on.</summary>
    public bool Enabled { get; set; }

    /// <summary>Items per batch. Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Requests in flight at once; also what a crash can send twice (see <c>ChannelLimits.MaxUnrecorded</c>).
    /// Default 128 (64 kept the whole city's webhooks waiting on their own outcomes being written: docs/load-tests.md).</summary>
    public int MaxConcurrency { get; set; } = 128;

    /// <summary>Timeout of one POST. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// LINE-style signed webhooks: POST JSON with <c>X-AlertHub-Signature = base64(HMAC-SHA256(secret, raw body))</c>
/// (the scheme of <c>X-Line-Signature</c>, so standard receivers can verify it), the idempotency key as
/// <c>X-AlertHub-Delivery-Id</c> and a timestamp. Only URLs the outbound policy allows are called, checked
/// again on every connection.
/// </summary>
internal sealed class WebhookChannel(IHttpClientFactory clients, OutboundUrlPolicy policy, IOptions<WebhookChannelOptions> options, TimeProvider time)
    : IDeliveryChannel, IChannelSetup<WebhookChannelOptions>
{
    public const string ChannelName = ChannelNames.Webhook;
    public const string HttpClientName = ChannelName;

    public static void Configure(ChannelBuilder<WebhookChannelOptions> channel) => channel
        .AddHttpClient(configureHandler: (_, handler) => handler.MaxConnectionsPerServer = 256)
        .AddEndpointValidator<WebhookEndpointValidator>();

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    public ChannelLimits Limits { get; } = new(options.Value.MaxBatchSize, MaxTitleLength: 200, MaxBodyLength: 4000, MaxConcurrency: options.Value.MaxConcurrency);

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(HttpClientName);
        return await batch.SendEachAsync(Limits.MaxConcurrency, (item, ct) => SendOneAsync(client, item, ct), cancellationToken);
    }

    public static string Sign(string secret, ReadOnlySpan<byte> body) => SignedWebhook.Sign(secret, body);

    private async Task<DeliveryItemResult> SendOneAsync(HttpClient client, DeliveryItem item, CancellationToken cancellationToken)
    {
        if (!policy.IsAllowed(item.Address, out var reason))
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, reason);
        }

        if (item.Secret is null)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, "endpoint has no signing secret");
        }

        var m = item.Message;
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            deliveryId = item.IdempotencyKey,
            residentId = item.ResidentId,
            alert = new
            {
                m.AlertId, m.Version, m.MsgType, m.Status, m.Severity, m.Urgency, m.Event, m.Headline, m.Body, m.Instruction, m.Language,
                m.AreaName, m.Sent, m.Expires, idempotencyKey = item.IdempotencyKey, m.ImageUrl,
            },
        }, Json.Options);
        using var request = SignedWebhook.Post(item.Address, body, item.Secret, time.GetUtcNow());
        request.Headers.Add("X-AlertHub-Delivery-Id", item.IdempotencyKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.RequestTimeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return Classify(item.WorkId, response, time.GetUtcNow());
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

    private static DeliveryItemResult Classify(long workId, HttpResponseMessage response, DateTimeOffset now)
    {
        var status = (int)response.StatusCode;
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        return status switch
        {
            >= 200 and < 300 => new(workId, DeliveryOutcome.Delivered),
            404 or 410 => new(workId, DeliveryOutcome.AddressGone, $"HTTP {status}"),
            429 => new(workId, DeliveryOutcome.Throttled, "HTTP 429", retryAfter ?? TimeSpan.FromSeconds(30)),
            503 when retryAfter is not null => new(workId, DeliveryOutcome.Throttled, "HTTP 503", retryAfter),
            408 or >= 500 => new(workId, DeliveryOutcome.Transient, $"HTTP {status}"),
            _ => new(workId, DeliveryOutcome.Rejected, $"HTTP {status} {(HttpStatusCode)status}"),
        };
    }
}
