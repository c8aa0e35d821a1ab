namespace AlertHub.Core.Storage;

/// <summary>One stored version of an alert: its CAP-like document as JSON, immutable once written.</summary>
/// <param name="QueuedInFull">False while a large fan-out is still being queued in parts (finished by <see cref="IAlertStore.CompleteQueueingAsync"/>).</param>
internal sealed record StoredAlertVersion(string AlertId, int Version, string MsgType, DateTimeOffset IssuedAt, DateTimeOffset? ExpiresAt, int Priority,
    int Recipients, string Document, bool QueuedInFull, long? QueuedInFullAtMs);

/// <summary>What <see cref="IAlertStore.CheckQueueingAsync"/> found.</summary>
internal enum QueueingCheck
{
    /// <summary>The version is still current and the caller still queues it.</summary>
    Queueing,

    /// <summary>A newer version exists: the rest of this one is never queued.</summary>
    Superseded,

    /// <summary>Another node took the version's queueing over: this caller must stop and leave the rest to it.</summary>
    TakenOver,
}

/// <summary>A version as the version list shows it (without the document).</summary>
internal sealed record AlertVersionRow(int Version, string MsgType, DateTimeOffset IssuedAt, DateTimeOffset? ExpiresAt, int Recipients, long? QueuedInFullAtMs);

/// <summary>
/// Who wrote and approved an alert and what residents answered: the approved draft's author and approver (null when it was
/// issued without one), an emergency bypass's audited reason, the acknowledgements and each resident's latest 安否 reply.
/// </summary>
internal sealed record AlertPeople(string CreatedBy, string? DraftAuthor, string? DraftApprover, string? BypassReason, long Acknowledged, long Safe,
    long NeedHelp)
{
    /// <summary>Reads the seven columns every engine's alert store selects for it, from <paramref name="first"/> on.</summary>
    public static AlertPeople Read(System.Data.Common.DbDataReader r, int first) => new(r.GetString(first), r.IsDBNull(first + 1) ? null : r.GetString(first + 1),
        r.IsDBNull(first + 2) ? null : r.GetString(first + 2), r.IsDBNull(first + 3) ? null : r.GetString(first + 3), r.GetInt64(first + 4),
        r.GetInt64(first + 5), r.GetInt64(first + 6));
}

/// <summary>An alert with its current version, as the board's list shows it.</summary>
internal sealed record AlertRow(string Id, int CurrentVersion, string State, DateTimeOffset CreatedAt, DateTimeOffset IssuedAt, DateTimeOffset? ExpiresAt,
    int Recipients, string Document, AlertPeople People);

/// <summary>The board's filter. <paramref name="Words"/> are searched in every version's event, area name and texts.</summary>
/// <param name="State">issued, cancelled, ended, expired (issued and past its expiry at <paramref name="Now"/>) or active; null for all.</param>
/// <param name="Before">Only alerts created before this (paging: the oldest one of the previous page).</param>
internal sealed record AlertQuery(string? Words, string? Status, string? State, DateTimeOffset Now, DateTimeOffset? From, DateTimeOffset? To,
    DateTimeOffset? Before, int Limit);

/// <summary>
/// Alerts, their versions and residents' acknowledgements; the owner of <c>alerts</c>, <c>alert_versions</c> and
/// <c>alert_acks</c>. A version is written in the caller's <see cref="IStoreTransaction"/> together with its outbox, so an
/// issued alert never exists without its delivery work.
/// </summary>
internal interface IAlertStore
{
    /// <summary>
    /// Makes <paramref name="version"/> the alert's current version inside the caller's transaction: creates the alert for
    /// version 1; otherwise only when the current version is the one before it and the alert is not cancelled (an ended alert
    /// takes only a cancel). Concurrent callers for one alert are serialised; the loser gets false.
    /// </summary>
    Task<bool> AdvanceAsync(IStoreTransaction transaction, string alertId, int version, string state, bool isCancel, DateTimeOffset createdAt,
        string createdBy, CancellationToken cancellationToken);

    /// <summary>Writes a version inside the caller's transaction (after <see cref="AdvanceAsync"/>).</summary>
    Task InsertVersionAsync(IStoreTransaction transaction, StoredAlertVersion version, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a later part of <paramref name="version"/> may still be queued by <paramref name="owner"/> (null: the node that
    /// issued it), inside the caller's transaction. A concurrent <see cref="AdvanceAsync"/> of the alert and a concurrent
    /// <see cref="TakeOverQueueingAsync"/> of the version wait for the caller's transaction, so a part is queued either
    /// before them or not at all.
    /// </summary>
    Task<QueueingCheck> CheckQueueingAsync(IStoreTransaction transaction, string alertId, int version, string? owner, CancellationToken cancellationToken);

    /// <summary>
    /// Makes <paramref name="owner"/> the queuer of an unfinished version (committed at once): from then on the previous
    /// queuer's parts are refused, even if it still believes it holds the queueing lock. False when the version is finished.
    /// </summary>
    Task<bool> TakeOverQueueingAsync(string alertId, int version, string owner, CancellationToken cancellationToken);

    /// <summary>Marks a version's queueing finished, if <paramref name="owner"/> (null: the issuing node) still owns it.</summary>
    Task<bool> CompleteQueueingAsync(string alertId, int version, string? owner, long atMs, CancellationToken cancellationToken);

    /// <summary>Versions whose queueing did not finish (their process died part way).</summary>
    Task<IReadOnlyList<(string AlertId, int Version)>> UnfinishedQueueingAsync(CancellationToken cancellationToken);

    /// <summary>The document of one version; null when there is none.</summary>
    Task<string?> GetDocumentAsync(string alertId, int version, CancellationToken cancellationToken);

    Task<(int CurrentVersion, string State)?> GetHeadAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Every version of the alert, oldest first.</summary>
    Task<IReadOnlyList<AlertVersionRow>> ListVersionsAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Alerts newest first (by creation), filtered.</summary>
    Task<IReadOnlyList<AlertRow>> ListAsync(AlertQuery query, CancellationToken cancellationToken);

    /// <summary>Who wrote and approved one alert and what residents answered; null when there is no such alert.</summary>
    Task<AlertPeople?> PeopleAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>The current version's document of the most recently issued alerts, newest first.</summary>
    Task<IReadOnlyList<string>> CurrentDocumentsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Records a resident's acknowledgement; a second one changes nothing. False when the alert does not exist.</summary>
    Task<bool> AcknowledgeAsync(string alertId, Guid residentId, DateTimeOffset at, string via, CancellationToken cancellationToken);

    Task<long> AcknowledgementCountAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Whether the resident acknowledged the alert by any means.</summary>
    Task<bool> IsAcknowledgedAsync(string alertId, Guid residentId, CancellationToken cancellationToken);

    /// <summary>Up to two alert ids that start with <paramref name="prefix"/> (a lower-case hex short code from an SMS link), in id order.</summary>
    Task<IReadOnlyList<string>> IdsStartingWithAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>When the resident acknowledged each alert they acknowledged.</summary>
    Task<IReadOnlyDictionary<string, DateTimeOffset>> AcknowledgementsAsync(Guid residentId, CancellationToken cancellationToken);
}

/// <summary>An alert waiting for approval; <paramref name="Request"/> is the staffer's request as JSON.</summary>
/// <param name="UpdatesAlertId">For an update waiting for approval: the alert it updates.</param>
internal sealed record StoredDraft(string Id, string Request, string? SourceEventId, string? Rule, string State, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? DecidedAt, string? DecidedBy, string? Reason, string? AlertId, string? UpdatesAlertId);

/// <summary>Alerts waiting for approval; the owner of <c>alert_drafts</c>.</summary>
internal interface IDraftStore
{
    Task InsertAsync(StoredDraft draft, CancellationToken cancellationToken);

    /// <summary>At most 200, newest first; <paramref name="state"/> null for every state.</summary>
    Task<IReadOnlyList<StoredDraft>> ListAsync(string? state, CancellationToken cancellationToken);

    Task<StoredDraft?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a pending draft to <paramref name="state"/>; false when it was not pending any more (someone decided first).
    /// With a transaction, the decision commits with it (approving issues at most once).
    /// </summary>
    Task<bool> DecideAsync(string id, string state, DateTimeOffset at, string decidedBy, string? reason, string? alertId, CancellationToken cancellationToken,
        IStoreTransaction? transaction = null);
}
