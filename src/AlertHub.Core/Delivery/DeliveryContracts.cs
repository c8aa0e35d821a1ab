namespace AlertHub.Core.Delivery;

/// <summary>
/// A delivery channel (YARP-style plug-in keyed by <see cref="Name"/>). It makes one attempt per batch and
/// reports an outcome per item; retries, timeouts, circuit breaking and rate limits live in the channel's
/// resilience pipeline and the durable outbox, not here.
/// </summary>
public interface IDeliveryChannel
{
    /// <summary>Stable channel name: "signalr", "webhook", "fcm", "webpush", "line", "email", …</summary>
    string Name { get; }

    /// <summary>Whether this channel is a push channel that counts toward the プッシュ型情報発信手段 KPI.</summary>
    bool CountsTowardKpi { get; }

    ChannelLimits Limits { get; }

    Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken);
}

/// <param name="MaxBatchSize">Most items handed to one <see cref="IDeliveryChannel.SendAsync"/> call.</param>
/// <param name="MaxTitleLength">Longest headline the channel shows, in characters.</param>
/// <param name="MaxBodyLength">Longest body the channel shows, in characters.</param>
/// <param name="MaxConcurrency">How many requests one batch may have in flight.</param>
public sealed record ChannelLimits(int MaxBatchSize, int MaxTitleLength, int MaxBodyLength, int MaxConcurrency);

/// <summary>What happened to one item of a batch.</summary>
public enum DeliveryOutcome
{
    /// <summary>The provider or device accepted it.</summary>
    Delivered,
    /// <summary>A passing failure: try again later with backoff.</summary>
    Transient,
    /// <summary>The provider asked us to slow down: try again after <see cref="DeliveryItemResult.RetryAfter"/>.</summary>
    Throttled,
    /// <summary>The address no longer exists (unsubscribed, uninstalled): prune the endpoint.</summary>
    AddressGone,
    /// <summary>A permanent refusal of this message: do not retry.</summary>
    Rejected,
}

/// <summary>A rendered message ready for one recipient on one channel.</summary>
public sealed record RenderedMessage(
    string AlertId,
    int Version,
    string MsgType,
    string Status,
    string Severity,
    string Urgency,
    string Event,
    string Language,
    string Headline,
    string Body,
    string? Instruction,
    string? AreaName,
    DateTimeOffset Sent,
    DateTimeOffset? Expires)
{
    /// <summary>Absolute URL of the alert's public picture (≤ 1280 px, no metadata), if it has one.</summary>
    public string? ImageUrl { get; init; }

    /// <summary>Absolute URL of the picture's preview copy (≤ 400 px), if the alert has a picture.</summary>
    public string? ImageSmallUrl { get; init; }
}

/// <param name="WorkId">Outbox row id.</param>
/// <param name="IdempotencyKey">alert id + version + resident + channel; carried on the wire so receivers dedupe.</param>
/// <param name="ResidentId">The recipient.</param>
/// <param name="Address">Channel-specific address (URL, token, user id); the resident id for SignalR.</param>
/// <param name="Secret">Per-endpoint secret (webhook signing key), if any.</param>
public sealed record DeliveryItem(
    long WorkId,
    string IdempotencyKey,
    Guid ResidentId,
    string Address,
    string? Secret,
    RenderedMessage Message);

public sealed record DeliveryBatch(string Channel, IReadOnlyList<DeliveryItem> Items);

public sealed record DeliveryItemResult(long WorkId, DeliveryOutcome Outcome, string? Detail = null, TimeSpan? RetryAfter = null);

public sealed record DeliveryReport(IReadOnlyList<DeliveryItemResult> Results);
