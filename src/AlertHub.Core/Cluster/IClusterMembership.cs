namespace AlertHub.Core.Cluster;

/// <summary>A node as the membership table knows it. Times are the store's clock.</summary>
internal sealed record ClusterMember(string Id, string Name, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, DateTimeOffset? LeftAt,
    DateTimeOffset? DeclaredDeadAt)
{
    /// <summary>The node's <see cref="ClusterNode.IndexApplied"/> at its last heartbeat (null before its first, or when it has none).</summary>
    public long? IndexApplied { get; init; }

    /// <summary>The node's <see cref="ClusterNode.Delivered"/> at its last heartbeat.</summary>
    public long Delivered { get; init; }
}

/// <summary>
/// Which hub nodes share the store, and which of them have gone silent. Every node heartbeats; a node silent for longer
/// than the timeout is declared dead by whichever live node notices first, and that node gives the dead node's outbox
/// claims back, so its backlog is taken over in seconds instead of at the end of the claim lease.
/// </summary>
internal interface IClusterMembership
{
    /// <summary>
    /// True when other nodes can share the store (PostgreSQL). False for SQLite: its one node owns every claim, so at start
    /// the claims of any earlier process are released at once.
    /// </summary>
    bool IsShared { get; }

    /// <summary>
    /// Registers or refreshes this node's heartbeat (the store's clock). Returns true when the cluster had declared this
    /// node dead since its last heartbeat (a long pause or a cut connection): its claims were taken over meanwhile.
    /// </summary>
    Task<bool> HeartbeatAsync(ClusterNode node, CancellationToken cancellationToken);

    /// <summary>Marks this node as having left cleanly (its workers have already given back what they held).</summary>
    Task LeaveAsync(ClusterNode node, CancellationToken cancellationToken);

    /// <summary>
    /// Declares dead every node silent for longer than <paramref name="timeout"/> that has not left nor been declared dead
    /// yet, atomically (when two nodes look at once, each silent node is returned to one of them), and returns their ids.
    /// </summary>
    Task<IReadOnlyList<string>> DeclareSilentNodesDeadAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Ends the database sessions of these nodes (declared dead). A node that is only frozen (a stopped VM) keeps its
    /// sessions, and one stopped in the middle of a statement keeps that transaction's row locks, which the take-over of its
    /// claims would wait on for as long as it is frozen; once woken, it must not commit work another node has taken over.
    /// Returns how many sessions were ended.
    /// </summary>
    Task<int> EndSessionsOfAsync(IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken);

    /// <summary>Ids of nodes declared dead within <paramref name="within"/> (a sweep gives back anything they still hold).</summary>
    Task<IReadOnlyList<string>> RecentlyDeadAsync(TimeSpan within, CancellationToken cancellationToken);

    /// <summary>The store's clock now and every node known, live ones first, then by start, newest first.</summary>
    Task<(DateTimeOffset Now, IReadOnlyList<ClusterMember> Members)> ListAsync(CancellationToken cancellationToken);
}

/// <summary>The embedded store's membership: this node alone, never declared dead.</summary>
internal sealed class SingleNodeMembership(ClusterNode node, TimeProvider time) : IClusterMembership
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public bool IsShared => false;

    public Task<bool> HeartbeatAsync(ClusterNode node, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task LeaveAsync(ClusterNode node, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IReadOnlyList<string>> DeclareSilentNodesDeadAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<IReadOnlyList<string>> RecentlyDeadAsync(TimeSpan within, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<int> EndSessionsOfAsync(IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken) => Task.FromResult(0);

    public Task<(DateTimeOffset Now, IReadOnlyList<ClusterMember> Members)> ListAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Task.FromResult<(DateTimeOffset, IReadOnlyList<ClusterMember>)>((now, [new ClusterMember(node.Id, node.Name, _started, now, null, null)
        {
            Delivered = node.Delivered,
        }]));
    }
}
