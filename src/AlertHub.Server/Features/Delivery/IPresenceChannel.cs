namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// A channel that can only deliver while the resident is connected (SignalR). Its "not connected" items wait in the
/// outbox until the resident subscribes, which releases them. A resident who subscribes while their item is still in
/// flight would miss that release (the row is not yet waiting) — so after recording, the workers ask the channel
/// again and release at once the items of residents who have connected meanwhile.
/// </summary>
internal interface IPresenceChannel
{
    /// <summary>Of <paramref name="residentIds"/>, those connected now, to this node or (in a cluster) any other.</summary>
    ValueTask<IReadOnlySet<Guid>> ConnectedAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken);
}

internal static class Presence
{
    /// <summary>The error a presence channel records for a resident whose page is closed: the item waits, it has not failed.</summary>
    public const string NotConnected = AlertHub.Core.Storage.WorkState.NotConnected;
}
