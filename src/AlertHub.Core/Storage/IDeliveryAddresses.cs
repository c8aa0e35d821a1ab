namespace AlertHub.Core.Storage;

/// <summary>A resident's endpoint on one channel, as the delivery worker sends to it.</summary>
internal sealed record DeliveryAddress(long EndpointId, string Address, string? Secret, string State);

/// <summary>
/// Where claimed work goes: the residents' store answers it (it owns residents and their endpoints), so the outbox never
/// reads another owner's tables. Looked up at send time, so an address changed since the issue is the one used.
/// </summary>
internal interface IDeliveryAddresses
{
    /// <summary>
    /// For each resident in <paramref name="residents"/> (same order, repeats allowed): their newest active endpoint on
    /// <paramref name="channel"/> (null when they have none, or are gone) and their language.
    /// </summary>
    Task<IReadOnlyList<(DeliveryAddress? Endpoint, string? Language)>> LookUpAsync(string channel, IReadOnlyList<Guid> residents,
        CancellationToken cancellationToken);
}
