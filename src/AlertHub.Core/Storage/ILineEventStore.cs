namespace AlertHub.Core.Storage;

/// <summary>
/// The LINE webhook event ids already taken, so that LINE's redeliveries are dropped; the owner of
/// <c>line_webhook_events</c>.
/// </summary>
internal interface ILineEventStore
{
    /// <summary>Records the event id as received at <paramref name="at"/>; false when it was already recorded (a redelivery).</summary>
    Task<bool> ClaimAsync(string eventId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Forgets an event id (its processing failed, so LINE's redelivery must be processed). Unknown ids are ignored.</summary>
    Task ReleaseAsync(string eventId, CancellationToken cancellationToken);

    /// <summary>Forgets the ids received before <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}
