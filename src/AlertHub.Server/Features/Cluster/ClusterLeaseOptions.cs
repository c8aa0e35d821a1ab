namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// Configuration section <c>Cluster:Leases</c>: how jobs that run on one node at a time (the JMA poller) hold their lease.
/// A node that dies is replaced within <see cref="TimeToLive"/> + <see cref="RenewInterval"/> (13 s by default).
/// </summary>
public sealed class ClusterLeaseOptions
{
    public const string Section = "Cluster:Leases";

    /// <summary>
    /// How long a lease lasts unless renewed. Default 10 s. Shorter replaces a dead node sooner; each node's holder must
    /// still reach the database within it, or it stops its job (and another node starts it).
    /// </summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the holder renews, and how often the other nodes try to take a lease. Default 3 s. At most a third of
    /// <see cref="TimeToLive"/>, so a renewal that fails (the database briefly unreachable) is tried once more before the
    /// holder has to stop its job.
    /// </summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(3);
}
