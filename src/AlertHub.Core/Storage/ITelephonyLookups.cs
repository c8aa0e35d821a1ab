namespace AlertHub.Core.Storage;

/// <summary>
/// Reads of tables telephony does not own, kept apart until their owners' stores answer them: <c>alert_acks</c> and <c>alerts</c>
/// belong to the alerts store, <c>resident_endpoints</c> to the residents store. When those stores offer these questions, the
/// telephony feature asks them instead and this interface goes.
/// </summary>
internal interface ITelephonyLookups
{
    /// <summary>Whether the resident acknowledged the alert by any means (owner: alerts, <c>alert_acks</c>).</summary>
    Task<bool> IsAcknowledgedAsync(string alertId, Guid residentId, CancellationToken cancellationToken);

    /// <summary>Whether the resident still has this address active on the channel, not removed or pruned (owner: residents, <c>resident_endpoints</c>).</summary>
    Task<bool> EndpointActiveAsync(Guid residentId, string channel, string address, CancellationToken cancellationToken);

    /// <summary>Up to two alert ids that start with <paramref name="prefix"/>, a lower-case hex short code from an SMS link (owner: alerts, <c>alerts</c>).</summary>
    Task<IReadOnlyList<string>> AlertIdsStartingWithAsync(string prefix, CancellationToken cancellationToken);
}
