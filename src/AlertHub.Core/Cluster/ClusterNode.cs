namespace AlertHub.Core.Cluster;

/// <summary>
/// This process among the hub's nodes. Several nodes can share one PostgreSQL store; each names itself in the outbox's
/// <c>claimed_by</c>, in the membership table, in leases and in logs with <see cref="Id"/>. A restarted process is a new
/// node (a new id), so nothing a dead process held is mistaken for the new one's.
/// </summary>
internal sealed class ClusterNode
{
    public ClusterNode(string? name = null)
    {
        Name = string.IsNullOrWhiteSpace(name) ? Environment.MachineName : name.Trim();
        Id = $"{Name}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    }

    /// <summary>What operators call the node (<c>Cluster:NodeName</c>, default the machine name).</summary>
    public string Name { get; }

    /// <summary>Unique per process start: <c>{name}/{pid}/{random}</c>.</summary>
    public string Id { get; }

    /// <summary>
    /// The <c>application_name</c> of this node's database sessions, so that the node that declares it dead can end them
    /// (<see cref="IClusterMembership.EndSessionsOfAsync"/>). Short enough for PostgreSQL's 63 bytes whatever the name.
    /// </summary>
    public string SessionName => SessionNameOf(Id);

    /// <summary>The session name of the node with id <paramref name="id"/>: <c>alerthub/{random}</c>.</summary>
    public static string SessionNameOf(string id) => $"alerthub/{id[(id.LastIndexOf('/') + 1)..]}";

    private long _indexApplied = -1;

    /// <summary>
    /// The last resident change this node's targeting index has applied (−1 until it follows the store's change feed).
    /// Sent with every heartbeat, so <c>GET /api/cluster</c> can say how far each node's index is behind.
    /// </summary>
    public long IndexApplied
    {
        get => Interlocked.Read(ref _indexApplied);
        set => Interlocked.Exchange(ref _indexApplied, value);
    }

    private long _delivered;

    /// <summary>Outcomes recorded as Delivered by this node's workers since it started; sent with every heartbeat.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Counts <paramref name="count"/> more deliveries recorded here.</summary>
    public void AddDelivered(long count) => Interlocked.Add(ref _delivered, count);

    public override string ToString() => Id;
}
