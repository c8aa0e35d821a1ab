namespace AlertHub.Core.Cluster;

/// <summary>
/// Named leases: the way a job that must run on exactly one node (the JMA poller, a camera's ffmpeg) picks that node. A lease
/// is held by one <see cref="ClusterNode.Id"/> until it expires; its holder renews it well inside the time-to-live, and any
/// node may take it once it has expired, so a node that dies (or hangs) gives its jobs up within one time-to-live. On
/// PostgreSQL the <c>cluster_leases</c> table keeps them and every instant comes from the database's clock, so the nodes'
/// clocks do not matter; on SQLite (one node) they live in this process.
/// </summary>
internal interface IClusterLeases
{
    /// <summary>
    /// Takes <paramref name="name"/> for this node, or renews it if this node holds it already, until
    /// <paramref name="timeToLive"/> from now. Answers false when another node holds an unexpired lease of that name. Atomic:
    /// of nodes racing for one free lease exactly one wins.
    /// </summary>
    /// <remarks>
    /// The caller should treat the lease as its own for at most <paramref name="timeToLive"/> measured from just before the
    /// call: the store's expiry is later than that, so a holder that stops in time never overlaps its successor.
    /// </remarks>
    Task<bool> TryAcquireAsync(string name, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Gives <paramref name="name"/> up if this node holds it, so another node can take it at once.</summary>
    Task ReleaseAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every lease on record, expired ones included, by name.</summary>
    Task<IReadOnlyList<ClusterLease>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>One lease as the store has it.</summary>
/// <param name="Holder">The <see cref="ClusterNode.Id"/> that holds (or last held) it.</param>
/// <param name="AcquiredAt">When the holder took it (renewals keep this).</param>
/// <param name="ExpiresAt">When another node may take it unless the holder renews it first.</param>
/// <param name="Active">Not yet expired, by the store's clock when it was listed.</param>
internal sealed record ClusterLease(string Name, string Holder, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt, bool Active);
