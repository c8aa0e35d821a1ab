using AlertHub.Core.Storage;
using System.Collections.Concurrent;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using Microsoft.AspNetCore.SignalR;

namespace AlertHub.Server.Features.Delivery.Channels.SignalR;

/// <summary>Which residents have a live connection (SignalR has no way to count a group's members).</summary>
internal sealed class ResidentConnections
{
    private readonly ConcurrentDictionary<Guid, int> _counts = new();

    public bool IsConnected(Guid residentId) => _counts.TryGetValue(residentId, out var n) && n > 0;

    public int Residents => _counts.Count(kv => kv.Value > 0);

    public void Add(Guid residentId) => _counts.AddOrUpdate(residentId, 1, (_, n) => n + 1);

    public void Remove(Guid residentId)
    {
        var left = _counts.AddOrUpdate(residentId, 0, (_, n) => Math.Max(0, n - 1));
        if (left == 0)
        {
            _counts.TryRemove(new KeyValuePair<Guid, int>(residentId, 0));
        }
    }
}

/// <summary>
/// <c>/hubs/alerts</c>, the residents' hub: they call <c>Subscribe(residentId, residentToken)</c> and receive
/// <c>alert</c> messages (and <c>shelterStatus</c>). Staff dashboards have their own hub, <c>/hubs/staff</c>.
/// </summary>
internal sealed class AlertsHub(ResidentStore residents, ResidentConnections connections, IOutboxStore outbox, DeliverySignals signals,
    TimeProvider time) : Hub
{
    public const string Path = "/hubs/alerts";
    private const string ResidentKey = "resident";

    public static string ResidentGroup(Guid residentId) => "resident:" + residentId.ToString("N");

    public async Task<bool> Subscribe(string residentId, string residentToken)
    {
        if (!Guid.TryParse(residentId, out var id) || !await residents.VerifyTokenAsync(id, residentToken, Context.ConnectionAborted))
        {
            throw new HubException("auth.invalid_resident_token: the resident id or token is not valid.");
        }

        if (Context.Items.TryGetValue(ResidentKey, out var existing) && existing is Guid previous)
        {
            if (previous == id)
            {
                return true;
            }

            await Groups.RemoveFromGroupAsync(Context.ConnectionId, ResidentGroup(previous));
            connections.Remove(previous);
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, ResidentGroup(id));
        Context.Items[ResidentKey] = id;
        connections.Add(id);

        // Anything that waited while the resident was offline is due now.
        if (await outbox.ReleaseAsync(id, SignalRChannel.ChannelName, time.GetUtcNow().ToUnixTimeMilliseconds(), Context.ConnectionAborted) > 0)
        {
            signals.Wake(SignalRChannel.ChannelName);
        }

        return true;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(ResidentKey, out var value) && value is Guid id)
        {
            connections.Remove(id);
        }

        return base.OnDisconnectedAsync(exception);
    }
}
