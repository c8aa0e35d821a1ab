namespace AlertHub.Core.Storage;

/// <summary>A feed document as it arrived: <see cref="Size"/> is its full length, <see cref="Raw"/> what is kept of it.</summary>
internal sealed record NewFeedDocument(string Sha256, string Source, string? Origin, DateTimeOffset ReceivedAt, long Size, ReadOnlyMemory<byte> Raw);

/// <summary>
/// The event an accepted document became. <see cref="EventJson"/> is the whole event; <see cref="ReplacesSameRevision"/>
/// says whether it may take the place of an event of the same revision (a correction or a cancellation does).
/// </summary>
internal sealed record NewFeedEvent(
    string Id, string Source, string Family, bool Interpreted, string SeriesKey, string Revision, string Lifecycle, string Operational,
    string Category, int Severity, DateTimeOffset IssuedAt, string Headline, IReadOnlyList<string> Codes, bool ReplacesSameRevision, string EventJson);

/// <summary>A document stored before with the same SHA-256: its event (null when it was quarantined) and its status.</summary>
internal sealed record FeedDocumentMatch(long DocumentId, string? EventId, string Status);

/// <summary>
/// What storing an accepted document did. With <see cref="Duplicate"/> set, a byte-identical document was already stored
/// and nothing was written. Otherwise the document and its event were stored; <see cref="Applied"/> says whether the event
/// advanced its series (<see cref="Reason"/> says why not), and <see cref="SeriesStateJson"/> is the rules' state the series
/// held before (null for a new series).
/// </summary>
internal sealed record FeedAcceptance(FeedDocumentMatch? Duplicate, bool Applied, string? Reason, string? SeriesStateJson);

/// <summary>A stored event as the events API lists it.</summary>
internal sealed record StoredEvent(
    string Id, long DocumentId, string Source, string Family, bool Interpreted, string SeriesKey, string Revision, string Lifecycle, string Operational,
    string Category, int Severity, DateTimeOffset IssuedAt, string Headline, string[] Codes, bool Applied, string? Outcome, string? AlertId,
    DateTimeOffset ReceivedAt);

internal sealed record QuarantinedDocument(long Id, string Source, string? Origin, DateTimeOffset ReceivedAt, long Size, string Code, string Reason);

/// <summary>Which events to list: every given condition holds (null means any); <see cref="Until"/> is exclusive.</summary>
internal sealed record EventFilter(DateTimeOffset? Since, DateTimeOffset? Until, string? Family, string? Code, string? Lifecycle, string? Source, int Limit, string? Id = null);

/// <summary>
/// Raw feed documents (one per SHA-256), the events they became, the quarantine of rejected documents and per-series
/// state; the owner of <c>feed_documents</c>, <c>feed_events</c> and <c>feed_series</c>.
/// </summary>
internal interface IFeedStore
{
    /// <summary>The document stored before with this SHA-256 (accepted or quarantined), or null.</summary>
    Task<FeedDocumentMatch?> FindDocumentAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>Stores a rejected document as quarantined; nothing happens when its SHA-256 is already stored.</summary>
    Task QuarantineAsync(NewFeedDocument document, string code, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: stores the document and its event (received when the document was), and advances the series as
    /// <see cref="FeedSeriesOrder.Decide"/> says, keeping the rules' state it holds. Writers of one series take turns, so each
    /// decides against what the one before it wrote. A document whose SHA-256 is already stored, also by a concurrent
    /// writer, is stored once: the later writer gets <see cref="FeedAcceptance.Duplicate"/> and writes nothing.
    /// </summary>
    Task<FeedAcceptance> StoreAcceptedAsync(NewFeedDocument document, NewFeedEvent feedEvent, CancellationToken cancellationToken);

    /// <summary>Records what the rules did with an event, and the series' rules state (JSON) after it.</summary>
    Task SaveOutcomeAsync(string eventId, string seriesKey, string outcome, string? alertId, string seriesStateJson, CancellationToken cancellationToken);

    /// <summary>
    /// Events matching the filter, newest received first (events received at the same instant: the later stored first), at
    /// most <see cref="EventFilter.Limit"/>. <see cref="EventFilter.Code"/> matches any one of an event's codes exactly.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventFilter filter, CancellationToken cancellationToken);

    /// <summary>The event and its whole JSON exactly as stored (property order kept: it carries meaning), or null.</summary>
    Task<(StoredEvent Stored, string EventJson)?> GetEventAsync(string id, CancellationToken cancellationToken);

    /// <summary>The bytes of the document an event came from, or null when there is no such event.</summary>
    Task<byte[]?> GetRawAsync(string eventId, CancellationToken cancellationToken);

    /// <summary>Quarantined documents, newest received first (then the later stored first), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<QuarantinedDocument>> ListQuarantineAsync(int limit, CancellationToken cancellationToken);
}

/// <summary>How a series moves: only forward, whatever order its events arrive in.</summary>
internal static class FeedSeriesOrder
{
    /// <summary>
    /// An event advances a series that holds <paramref name="currentRevision"/> (null: none yet) when its revision is later
    /// in ordinal order, or the same and it <paramref name="replacesSameRevision"/>; otherwise the reason it does not.
    /// </summary>
    public static (bool Applied, string? Reason) Decide(string? currentRevision, string revision, bool replacesSameRevision)
    {
        var compare = currentRevision is null ? 1 : string.CompareOrdinal(revision, currentRevision);
        return compare > 0 || (compare == 0 && replacesSameRevision) ? (true, null)
            : compare == 0 ? (false, $"same revision {revision} as the series already holds")
            : (false, $"older than the series' revision {currentRevision}");
    }
}
