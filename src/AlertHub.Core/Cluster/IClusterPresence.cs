namespace AlertHub.Core.Cluster;

/// <summary>
/// Which residents have a live connection (a resident's page on SignalR) on any node of the cluster. Each node announces
/// the residents it holds connections for; any node asks about a batch of residents before it sends. A single node
/// (no <c>Cluster:Redis</c>) has nothing to share: <see cref="SingleNodePresence"/> knows only this node.
/// </summary>
internal interface IClusterPresence
{
    /// <summary>This node's first live connection of the resident opened. Never blocks; never throws.</summary>
    void Joined(Guid residentId);

    /// <summary>This node's last live connection of the resident closed. Never blocks; never throws.</summary>
    void Left(Guid residentId);

    /// <summary>
    /// Of <paramref name="residentIds"/>, those connected to another node (or this one, as the shared view knows it). When
    /// the shared view cannot be reached the answer is empty: the caller then knows only its own connections.
    /// </summary>
    ValueTask<IReadOnlySet<Guid>> ConnectedAnywhereAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken);

    /// <summary>
    /// Null while the shared view is complete. Otherwise how long until it should be again: it cannot be reached, or it
    /// came back (a restart or a failover to a replica that had not received every announcement) and the nodes have not all
    /// announced their residents (and subscribed again) yet. A resident found nowhere may meanwhile be connected to another
    /// node, and one found there may not be reachable yet, so a sender asks again after this.
    /// </summary>
    TimeSpan? Incomplete { get; }

    /// <summary>
    /// Null while this node's own SignalR backplane listens where the cluster's Redis is now. Otherwise how long until it
    /// should again: a group send goes out through Redis even to residents connected here, and one published before the
    /// backplane has moved to a new primary reaches nobody, so a sender holds every SignalR send for that long.
    /// </summary>
    TimeSpan? BackplaneLagging { get; }

    /// <summary>
    /// Of the SignalR backplane <paramref name="channels"/> (without the configured prefix), those that nobody subscribes to
    /// on the Redis server group sends are published to. A stamp says which server a node's backplane listens on, but not
    /// that its subscriptions are back after the server closed them (Sentinel closes every client's connection to the
    /// replica it promotes): a send published meanwhile reaches nobody, and would be recorded as delivered. When Redis
    /// cannot be asked, all of them. A single node publishes nothing: none.
    /// </summary>
    ValueTask<IReadOnlySet<string>> WithoutSubscriberAsync(IReadOnlyCollection<string> channels, CancellationToken cancellationToken);
}

/// <summary>One node: every connection is local, so nobody is connected "elsewhere".</summary>
internal sealed class SingleNodePresence : IClusterPresence
{
    private static readonly IReadOnlySet<Guid> None = new HashSet<Guid>();

    public void Joined(Guid residentId)
    {
    }

    public void Left(Guid residentId)
    {
    }

    public ValueTask<IReadOnlySet<Guid>> ConnectedAnywhereAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken) =>
        ValueTask.FromResult(None);

    public TimeSpan? Incomplete => null;

    public TimeSpan? BackplaneLagging => null;

    public ValueTask<IReadOnlySet<string>> WithoutSubscriberAsync(IReadOnlyCollection<string> channels, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlySet<string>>(new HashSet<string>());
}
