namespace AlertHub.Core.Storage;

/// <summary>One call or SMS attempt to one resident for one alert version (<c>telephony_attempts</c>). Instants are Unix milliseconds.</summary>
/// <param name="State">scheduled (a retry waiting for <paramref name="DueAt"/>), placing, placed (Twilio accepted it), skipped, refused.</param>
/// <param name="Status">Twilio's status: queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled;
/// for SMS sent, delivered, undelivered, failed.</param>
/// <param name="Sequence">The highest callback sequence number recorded; -1 before any.</param>
internal sealed record TelephonyAttempt(
    long Id, string DeliveryKey, int Attempt, string AlertId, int Version, Guid ResidentId, string Channel, string Address, string Language,
    string Spoken, string State, long? DueAt, string? Sid, string? Status, string? AnsweredBy, string? Digits, bool Acknowledged,
    string? ErrorCode, string? Detail, int Sequence, long CreatedAt, long UpdatedAt)
{
    /// <summary>The <c>d</c> parameter of every callback URL for this attempt: delivery key and attempt number.</summary>
    public string CallbackRef => $"{DeliveryKey}:{Attempt}";
}

/// <summary>What the first attempt of a delivery is made from: the outbox row's idempotency key and what is said or written.</summary>
internal sealed record TelephonyAttemptStart(string DeliveryKey, string AlertId, int Version, Guid ResidentId, string Channel, string Address,
    string Language, string Spoken);

/// <summary>
/// Call and SMS attempts and their outcomes, per (resident, channel) and alert version; the owner of the <c>telephony_attempts</c>
/// table. Attempts are numbered per delivery key from 1; (delivery key, attempt) is unique, which is what makes a re-sent outbox
/// row or a repeated Twilio callback change nothing the second time. Every change of an unknown id changes nothing.
/// </summary>
internal interface ITelephonyAttemptStore
{
    /// <summary>
    /// Attempt 1 of the delivery key, created as 'placing' if new; an existing one is returned as it is (a re-sent outbox row finds the
    /// call it already placed). Of concurrent calls for one key, exactly one is told it created it.
    /// </summary>
    Task<(TelephonyAttempt Attempt, bool Created)> BeginAsync(TelephonyAttemptStart start, DateTimeOffset now, CancellationToken cancellationToken);

    Task<TelephonyAttempt?> FindAsync(string deliveryKey, int attempt, CancellationToken cancellationToken);

    Task<TelephonyAttempt?> GetAsync(long id, CancellationToken cancellationToken);

    /// <summary>The alert's attempts (every version and channel), oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<TelephonyAttempt>> ListAsync(string alertId, int limit, CancellationToken cancellationToken);

    /// <summary>Twilio accepted it: 'placed' with its sid, no longer due. A status a callback already recorded is kept.</summary>
    Task MarkPlacedAsync(long id, string sid, string status, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Twilio refused it for good: 'refused' with the error, no longer due.</summary>
    Task MarkRefusedAsync(long id, string? errorCode, string detail, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>A retry no longer wanted: 'skipped' with the reason, no longer due.</summary>
    Task MarkSkippedAsync(long id, string detail, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>A placement that could not be made now (throttled, Twilio unreachable): back to 'scheduled', due at <paramref name="dueAt"/>.</summary>
    Task RescheduleAsync(long id, DateTimeOffset dueAt, string detail, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Back to 'placing' for a channel attempt whose request failed before Twilio accepted it (the outbox retries it).</summary>
    Task ResetPlacingAsync(long id, string detail, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Records a status callback. Callbacks may arrive twice or out of order: a <paramref name="sequence"/> lower than the one recorded
    /// changes nothing (-1 = the sender gave none, always recorded). A null answered-by or error code keeps the one recorded. Returns the
    /// attempt as it is afterwards, or null when the id is unknown.
    /// </summary>
    Task<TelephonyAttempt?> RecordStatusAsync(long id, string status, string? answeredBy, string? errorCode, int sequence, DateTimeOffset now,
        CancellationToken cancellationToken);

    Task RecordAnsweredByAsync(long id, string answeredBy, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Records the keys pressed; once acknowledged, an attempt stays acknowledged.</summary>
    Task RecordDigitsAsync(long id, string digits, bool acknowledged, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Schedules the attempt after <paramref name="afterId"/> (same delivery, number one higher, 'scheduled', due at
    /// <paramref name="dueAt"/>). True only for the call that created it: however often and however concurrently the callback that
    /// asks for it arrives, one retry exists.
    /// </summary>
    Task<bool> ScheduleRetryAsync(long afterId, DateTimeOffset dueAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="limit"/> of the channel's scheduled attempts due by <paramref name="now"/>, earliest due first, and
    /// marks them 'placing'; concurrent claimers never take the same attempt.
    /// </summary>
    Task<IReadOnlyList<TelephonyAttempt>> ClaimDueAsync(string channel, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Retries (attempt 2 and later) left 'placing' by a process that died before placing them become due at <paramref name="now"/>;
    /// returns how many. With <paramref name="placingBefore"/>, only those that went 'placing' before it (on a shared store the
    /// other nodes' recent ones are being placed right now); without, all of them (the one node, at its start).
    /// </summary>
    Task<int> ReleaseStuckRetriesAsync(DateTimeOffset now, CancellationToken cancellationToken, DateTimeOffset? placingBefore = null);

    /// <summary>Removes every attempt to the resident, inside the transaction that forgets them; returns how many.</summary>
    Task<int> ForgetResidentAsync(IStoreTransaction transaction, Guid residentId, CancellationToken cancellationToken);
}
