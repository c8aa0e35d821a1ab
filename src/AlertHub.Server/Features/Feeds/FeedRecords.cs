using System.Text.Json;
using AlertHub.Core.Feeds;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Feeds;

/// <summary>What the rules remember about one series, per rule: the alert it led to and what it said.</summary>
internal sealed record RuleSeriesState(string? AlertId, int Level, string[] Municipalities, bool Ended, bool Cancelled, string? DraftId = null);

/// <summary>
/// What storing an accepted document did: a byte-identical document stored before (<paramref name="Duplicate"/>, nothing
/// written), or whether its event advanced the series (and why not) with the rules' state the series held.
/// </summary>
internal sealed record AcceptedDocument(FeedDocumentMatch? Duplicate, bool Applied, string? Reason, Dictionary<string, RuleSeriesState> State);

/// <summary>
/// Raw feed documents (by SHA-256, so byte-identical re-deliveries are ignored), the events they became, the quarantine of
/// rejected documents, and per-series state (the newest revision wins), over <see cref="IFeedStore"/>: this class adds the
/// clock, the JSON of events and rule state, and what of a rejected document is kept.
/// </summary>
internal sealed class FeedRecords(IFeedStore store, TimeProvider time)
{
    /// <summary>The longest rejection reason kept with a quarantined document.</summary>
    private const int MaxReasonLength = 1000;

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>The event of a byte-identical document seen before, or null.</summary>
    public async Task<(long DocumentId, string? EventId, string Status)?> FindDocumentAsync(string sha256, CancellationToken cancellationToken) =>
        await store.FindDocumentAsync(sha256, cancellationToken) is { } found ? (found.DocumentId, found.EventId, found.Status) : null;

    public Task QuarantineAsync(string sha256, FeedSource? source, string? origin, ReadOnlyMemory<byte> raw, int keepBytes, string code, string reason,
        CancellationToken cancellationToken) =>
        store.QuarantineAsync(new NewFeedDocument(sha256, source?.ToString() ?? "unknown", origin, time.GetUtcNow(), raw.Length, raw[..Math.Min(raw.Length, keepBytes)]),
            code, reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason, cancellationToken);

    /// <summary>
    /// Stores an accepted document and its event and, in the same transaction, advances the series when the event is newer
    /// than what the series holds (out-of-order arrivals never regress it; a correction or cancellation of the same revision
    /// replaces it). Returns whether it was applied and the series state before it.
    /// </summary>
    public async Task<AcceptedDocument> StoreAcceptedAsync(string sha256, FeedSource source, string? origin, ReadOnlyMemory<byte> raw, HazardEvent e,
        string eventId, CancellationToken cancellationToken, IReadOnlyCollection<string>? codes = null)
    {
        var feedEvent = new NewFeedEvent(eventId, e.Source.ToString(), e.Family, e.Interpreted, e.SeriesKey, e.Revision, e.Lifecycle.ToString(),
            e.Operational.ToString(), e.Category, (int)e.Severity, e.IssuedAt, e.MainText.Headline, [.. codes ?? EventCodes.Of(e, [])],
            e.Lifecycle is EventLifecycle.Correction or EventLifecycle.Cancel, JsonSerializer.Serialize(e, Json.Options));
        var result = await store.StoreAcceptedAsync(new NewFeedDocument(sha256, source.ToString(), origin, time.GetUtcNow(), raw.Length, raw), feedEvent,
            cancellationToken);
        var state = result.SeriesStateJson is { } json ? JsonSerializer.Deserialize<Dictionary<string, RuleSeriesState>>(json, Json.Options) ?? [] : [];
        return new AcceptedDocument(result.Duplicate, result.Applied, result.Reason, state);
    }

    public Task SaveOutcomeAsync(string eventId, string seriesKey, string outcome, string? alertId, Dictionary<string, RuleSeriesState> state,
        CancellationToken cancellationToken) =>
        store.SaveOutcomeAsync(eventId, seriesKey, outcome, alertId, JsonSerializer.Serialize(state, Json.Options), cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ListAsync(EventFilter filter, CancellationToken cancellationToken) => store.ListEventsAsync(filter, cancellationToken);

    public async Task<(HazardEvent Event, StoredEvent Stored)?> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.GetEventAsync(id, cancellationToken) is { } found
            ? (JsonSerializer.Deserialize<HazardEvent>(found.EventJson, Json.Options)!, found.Stored)
            : null;

    public Task<byte[]?> GetRawAsync(string eventId, CancellationToken cancellationToken) => store.GetRawAsync(eventId, cancellationToken);

    public Task<IReadOnlyList<QuarantinedDocument>> ListQuarantineAsync(int limit, CancellationToken cancellationToken) =>
        store.ListQuarantineAsync(limit, cancellationToken);
}
