using System.Globalization;
using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>
/// Call and SMS attempts and their outcomes, per (resident, channel) and alert version: <see cref="ITelephonyAttemptStore"/> with the
/// hub's clock, and what telephony asks of the alerts and residents stores.
/// </summary>
internal sealed class TelephonyAttempts(ITelephonyAttemptStore store, IAlertStore alerts, IResidentStore residents, TimeProvider time)
{
    /// <summary>The attempt a delivery key starts with, created if new; an existing one is returned as it is (a re-sent
    /// outbox row finds the call it already placed and does not place it again).</summary>
    public Task<(TelephonyAttempt Attempt, bool Created)> BeginAsync(string deliveryKey, string alertId, int version, Guid residentId, string channel,
        string address, string language, string spoken, CancellationToken cancellationToken) =>
        store.BeginAsync(new TelephonyAttemptStart(deliveryKey, alertId, version, residentId, channel, address, language, spoken), Now(), cancellationToken);

    /// <summary>The attempt a callback's <see cref="TelephonyAttempt.CallbackRef"/> names, or null (also for a malformed one).</summary>
    public async Task<TelephonyAttempt?> FindAsync(string callbackRef, CancellationToken cancellationToken)
    {
        var cut = callbackRef.LastIndexOf(':');
        if (cut <= 0 || !int.TryParse(callbackRef.AsSpan(cut + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var attempt))
        {
            return null;
        }

        return await store.FindAsync(callbackRef[..cut], attempt, cancellationToken);
    }

    public Task MarkPlacedAsync(long id, string sid, string status, CancellationToken cancellationToken) =>
        store.MarkPlacedAsync(id, sid, status, Now(), cancellationToken);

    public Task MarkRefusedAsync(long id, string? errorCode, string detail, CancellationToken cancellationToken) =>
        store.MarkRefusedAsync(id, errorCode, detail, Now(), cancellationToken);

    public Task MarkSkippedAsync(long id, string detail, CancellationToken cancellationToken) =>
        store.MarkSkippedAsync(id, detail, Now(), cancellationToken);

    /// <summary>A placement that could not be made now (throttled, Twilio unreachable): back to scheduled, due later.</summary>
    public Task RescheduleAsync(long id, long dueAt, string detail, CancellationToken cancellationToken) =>
        store.RescheduleAsync(id, DateTimeOffset.FromUnixTimeMilliseconds(dueAt), detail, Now(), cancellationToken);

    /// <summary>Back to 'placing' for a channel attempt whose request failed before Twilio accepted it (the outbox retries it).</summary>
    public Task ResetPlacingAsync(long id, string detail, CancellationToken cancellationToken) =>
        store.ResetPlacingAsync(id, detail, Now(), cancellationToken);

    /// <summary>
    /// Records a status callback. Callbacks may arrive twice or out of order: a lower <paramref name="sequence"/> than the
    /// one recorded changes nothing (-1 = the sender gave none). Returns the attempt as it is now, or null if unknown.
    /// </summary>
    public Task<TelephonyAttempt?> RecordStatusAsync(long id, string status, string? answeredBy, string? errorCode, int sequence,
        CancellationToken cancellationToken) =>
        store.RecordStatusAsync(id, status, answeredBy, errorCode, sequence, Now(), cancellationToken);

    public Task RecordAnsweredByAsync(long id, string answeredBy, CancellationToken cancellationToken) =>
        store.RecordAnsweredByAsync(id, answeredBy, Now(), cancellationToken);

    public Task RecordDigitsAsync(long id, string digits, bool acknowledged, CancellationToken cancellationToken) =>
        store.RecordDigitsAsync(id, digits, acknowledged, Now(), cancellationToken);

    /// <summary>Schedules the next attempt after a busy / no-answer / failed call (once, however often the callback arrives).</summary>
    public Task<bool> ScheduleRetryAsync(TelephonyAttempt after, long dueAt, CancellationToken cancellationToken) =>
        store.ScheduleRetryAsync(after.Id, DateTimeOffset.FromUnixTimeMilliseconds(dueAt), Now(), cancellationToken);

    /// <summary>Takes due retries (scheduled → placing) so one worker places each once.</summary>
    public Task<IReadOnlyList<TelephonyAttempt>> ClaimDueAsync(string channel, int limit, CancellationToken cancellationToken) =>
        store.ClaimDueAsync(channel, limit, Now(), cancellationToken);

    /// <summary>Retries claimed by a process that died before placing them become due again.</summary>
    public Task<int> ReleaseStuckRetriesAsync(CancellationToken cancellationToken, TimeSpan? placingFor = null) =>
        store.ReleaseStuckRetriesAsync(Now(), cancellationToken, placingFor is { } age ? Now() - age : null);

    public Task<IReadOnlyList<TelephonyAttempt>> ListAsync(string alertId, int limit, CancellationToken cancellationToken) =>
        store.ListAsync(alertId, limit, cancellationToken);

    // Asked of the owners: acknowledgements are the alerts store's, endpoints the residents store's.

    public Task<bool> IsAcknowledgedAsync(string alertId, Guid residentId, CancellationToken cancellationToken) =>
        alerts.IsAcknowledgedAsync(alertId, residentId, cancellationToken);

    /// <summary>Whether the resident still has this address active on the channel (not removed, not pruned).</summary>
    public Task<bool> EndpointActiveAsync(Guid residentId, string channel, string address, CancellationToken cancellationToken) =>
        residents.HasActiveEndpointAsync(residentId, channel, address, cancellationToken);

    private DateTimeOffset Now() => time.GetUtcNow();
}

/// <summary>A resident who asks to be forgotten loses their call and SMS attempts (numbers, what was said) in the same transaction.</summary>
internal sealed class TelephonyResidentRecords(ITelephonyAttemptStore store) : Residents.IResidentRecords
{
    public Task ForgetResidentAsync(IStoreTransaction tx, Guid residentId, CancellationToken cancellationToken) =>
        store.ForgetResidentAsync(tx, residentId, cancellationToken);
}
