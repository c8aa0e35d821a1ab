using AlertHub.Core.Storage;
using AlertHub.Core.Cluster;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using Microsoft.AspNetCore.SignalR;

namespace AlertHub.Server.Features.Delivery.Channels.SignalR;

/// <summary>
/// Which residents have a live connection on this node (SignalR has no way to count a group's members), and, through
/// <see cref="IClusterPresence"/>, on the cluster's other nodes. A resident's first connection here announces them to
/// the cluster and their last one withdraws them; the calls are made under the lock, so the cluster hears them in the
/// order they happened.
/// </summary>
internal sealed class ResidentConnections(IClusterPresence cluster)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, int> _counts = [];

    public bool IsConnected(Guid residentId)
    {
        lock (_lock)
        {
            return _counts.ContainsKey(residentId);
        }
    }

    public int Residents
    {
        get
        {
            lock (_lock)
            {
                return _counts.Count;
            }
        }
    }

    public void Add(Guid residentId)
    {
        lock (_lock)
        {
            var n = _counts.GetValueOrDefault(residentId) + 1;
            _counts[residentId] = n;
            if (n == 1)
            {
                cluster.Joined(residentId);
            }
        }
    }

    public void Remove(Guid residentId)
    {
        lock (_lock)
        {
            if (!_counts.TryGetValue(residentId, out var n))
            {
                return;
            }

            if (n > 1)
            {
                _counts[residentId] = n - 1;
                return;
            }

            _counts.Remove(residentId);
            cluster.Left(residentId);
        }
    }

    /// <summary>
    /// Null while "not connected anywhere" can be trusted; otherwise how long until it can (the cluster's shared view is
    /// unreachable or still being rebuilt after a Redis failover; see <see cref="IClusterPresence.Incomplete"/>).
    /// </summary>
    public TimeSpan? ElsewhereIncomplete => cluster.Incomplete;

    /// <summary>Null while this node's SignalR backplane listens where the cluster's Redis is (see <see cref="IClusterPresence.BackplaneLagging"/>).</summary>
    public TimeSpan? BackplaneLagging => cluster.BackplaneLagging;

    /// <summary>
    /// The backplane channel of a resident's group as the SignalR Redis backplane names it (hub type, <c>:group:</c>, group;
    /// the configured prefix comes on top). A cluster test checks it against the channels a real backplane subscribes to.
    /// </summary>
    public static string GroupChannel(Guid residentId) => typeof(AlertsHub).FullName + ":group:" + AlertsHub.ResidentGroup(residentId);

    /// <summary>
    /// Of <paramref name="residentIds"/> (found connected), those whose group nobody subscribes to yet where group sends are
    /// published (see <see cref="IClusterPresence.WithoutSubscriberAsync"/>). None on a single node.
    /// </summary>
    public async ValueTask<IReadOnlySet<Guid>> NotListenedForAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken)
    {
        if (cluster is SingleNodePresence || residentIds.Count == 0)
        {
            return new HashSet<Guid>();
        }

        var byChannel = residentIds.Distinct().ToDictionary(GroupChannel, StringComparer.Ordinal);
        return (await cluster.WithoutSubscriberAsync(byChannel.Keys, cancellationToken)).Select(c => byChannel[c]).ToHashSet();
    }

    /// <summary>Of <paramref name="residentIds"/>, those connected here or on any other node (one round trip for the others).</summary>
    public async ValueTask<IReadOnlySet<Guid>> ConnectedAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken)
    {
        var connected = new HashSet<Guid>();
        var elsewhere = new List<Guid>();
        lock (_lock)
        {
            foreach (var id in residentIds)
            {
                (_counts.ContainsKey(id) ? (ICollection<Guid>)connected : elsewhere).Add(id);
            }
        }

        if (elsewhere.Count > 0)
        {
            connected.UnionWith(await cluster.ConnectedAnywhereAsync(elsewhere, cancellationToken));
        }

        return connected;
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
