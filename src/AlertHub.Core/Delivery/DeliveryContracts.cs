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
public sealed record ChannelLimits(int MaxBatchSize, int MaxTitleLength, int MaxBodyLength, int MaxConcurrency)
{
    private readonly int _maxUnrecorded;

    /// <summary>
    /// How many items may have been started (<see cref="DeliveryBatch.AdmitAsync(IReadOnlyList{DeliveryItem}, CancellationToken)"/>)
    /// and not yet recorded by the outbox. That is all a crash can send twice, so keep it small; a channel whose requests
    /// carry many items (a LINE multicast) needs at least one request's worth per concurrent request. Default
    /// <see cref="MaxConcurrency"/>.
    /// </summary>
    public int MaxUnrecorded
    {
        get => _maxUnrecorded > 0 ? _maxUnrecorded : Math.Max(1, MaxConcurrency);
        init => _maxUnrecorded = value;
    }
}

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
    RenderedMessage Message)
{
    /// <summary>
    /// The outbox chunk the item belongs to (0 when unknown). A channel that puts many items into one provider request
    /// never mixes chunks in a request: after a crash another node gets the chunk's unrecorded items back together and
    /// forms the same requests again, with the same retry keys, whatever else its batch holds.
    /// </summary>
    public long Chunk { get; init; }
}

public sealed record DeliveryBatch(string Channel, IReadOnlyList<DeliveryItem> Items)
{
    /// <summary>
    /// Called as soon as one item's outcome is known, before <see cref="IDeliveryChannel.SendAsync"/> returns, so the
    /// outbox records it at once: a crash then re-sends only what was really in flight. Channels call
    /// <see cref="Report"/>; it may be called from several threads. Optional: the returned report covers every item anyway.
    /// </summary>
    public Action<DeliveryItemResult>? Completed { get; init; }

    /// <summary>
    /// Whether an item should still be sent (false once a newer version of its alert has replaced it). Channels ask
    /// just before starting an item's request, through <see cref="AdmitAsync(DeliveryItem, CancellationToken)"/>; an item
    /// they skip gets no result, and the outbox settles it. Optional.
    /// </summary>
    public Func<DeliveryItem, bool>? StillWanted { get; init; }

    public bool ShouldSend(DeliveryItem item) => StillWanted?.Invoke(item) ?? true;

    /// <summary>
    /// Asked just before a request for these items starts (see <see cref="AdmitAsync(IReadOnlyList{DeliveryItem}, CancellationToken)"/>):
    /// false skips them like <see cref="StillWanted"/>; the outbox may also make the channel wait here until earlier
    /// outcomes are recorded. Optional.
    /// </summary>
    public Func<IReadOnlyList<DeliveryItem>, CancellationToken, ValueTask<bool>>? Admit { get; init; }

    /// <summary>
    /// Every channel calls this just before the request that sends <paramref name="items"/> starts (one item, or all the
    /// items of one multicast). False: a newer version has replaced them, so they are skipped and get no result (the
    /// outbox settles them). It may wait until earlier outcomes are recorded, so that what a crash could send twice
    /// never exceeds <see cref="ChannelLimits.MaxUnrecorded"/>.
    /// </summary>
    public ValueTask<bool> AdmitAsync(IReadOnlyList<DeliveryItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        return Admit is { } admit ? admit(items, cancellationToken) : ValueTask.FromResult(items.All(ShouldSend));
    }

    /// <summary><see cref="AdmitAsync(IReadOnlyList{DeliveryItem}, CancellationToken)"/> for a request that sends one item.</summary>
    public ValueTask<bool> AdmitAsync(DeliveryItem item, CancellationToken cancellationToken) => AdmitAsync([item], cancellationToken);

    /// <summary>Passes an item's outcome on to <see cref="Completed"/> and returns it (so a channel can write <c>results[i] = batch.Report(…)</c>).</summary>
    public DeliveryItemResult Report(DeliveryItemResult result)
    {
        Completed?.Invoke(result);
        return result;
    }

    /// <summary>
    /// The loop of a channel that sends each item on its own request: at most <paramref name="maxConcurrency"/> at
    /// once, each item checked with <see cref="ShouldSend"/> just before it starts and reported as it completes.
    /// </summary>
    public async Task<DeliveryReport> SendEachAsync(int maxConcurrency, Func<DeliveryItem, CancellationToken, Task<DeliveryItemResult>> send,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        var results = new DeliveryItemResult?[Items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, Items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxConcurrency), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                if (await AdmitAsync(Items[i], ct))
                {
                    results[i] = Report(await send(Items[i], ct));
                }
            });
        return new DeliveryReport([.. results.OfType<DeliveryItemResult>()]);
    }
}

/// <param name="WorkId">Outbox row id.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Detail">Why, for the delivery record.</param>
/// <param name="RetryAfter">When to try again (Throttled, Transient).</param>
public sealed record DeliveryItemResult(long WorkId, DeliveryOutcome Outcome, string? Detail = null, TimeSpan? RetryAfter = null)
{
    /// <summary>
    /// Whether the message may have reached the provider or device although the outcome is not Delivered (a timeout
    /// after the request went out, a connection dropped mid-response). A retraction follows every address an alert
    /// may have reached. Default true, the safe side; false only where the channel knows nothing left the hub
    /// (resident offline, a local rate limit, a refused address).
    /// </summary>
    public bool MayHaveReached { get; init; } = true;

    /// <summary>
    /// The recipient was not there to receive it (a resident's page is closed): the item waits for them, and it says
    /// nothing about whether the channel works. The circuit breaker leaves such items out, so residents who closed
    /// their page never stop the channel for residents who have it open.
    /// </summary>
    public bool RecipientAbsent { get; init; }
}

public sealed record DeliveryReport(IReadOnlyList<DeliveryItemResult> Results);
