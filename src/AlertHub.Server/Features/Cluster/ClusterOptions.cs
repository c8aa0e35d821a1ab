namespace AlertHub.Server.Features.Cluster;

/// <summary>Configuration section <c>Cluster</c>: how nodes sharing one PostgreSQL store watch each other.</summary>
public sealed class ClusterOptions
{
    /// <summary>What operators call this node in logs and <c>GET /api/cluster</c>. Default the machine name.</summary>
    public string? NodeName { get; set; }

    /// <summary>How often a node tells the store it is alive, and looks for silent nodes. Default 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A node silent this long is declared dead and the work it had claimed is given to the others. Default 6 s: a
    /// killed node's backlog is taken over 6–7 s after its last heartbeat, well inside a claim's lease; a node that
    /// pauses longer (a stalled VM) loses its claims and only re-sends what it had in flight, with the same delivery id.
    /// Silence counts only once this node's own heartbeats have gone through for this long: after a database failover
    /// every node was silent, and none of them is dead for that.
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(6);
}
