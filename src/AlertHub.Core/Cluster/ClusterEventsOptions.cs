namespace AlertHub.Core.Cluster;

/// <summary>Configuration section <c>Cluster:Events</c>: the notifications between nodes (PostgreSQL only; a single node has no listener).</summary>
internal sealed class ClusterEventsOptions
{
    /// <summary>
    /// How often the listening connection is probed when idle, so a dead connection (server restarted, network cut) is
    /// noticed and replaced. Also sent as TCP keepalive. Default 10 s.
    /// </summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First wait before reconnecting a broken listener; doubled on each failure, with jitter. Default 250 ms.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait between reconnection attempts. Default 15 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often each node checks the store for resident changes it did not hear about (a notification lost while the
    /// listener was reconnecting). Default 5 s.
    /// </summary>
    public TimeSpan CatchUpInterval { get; set; } = TimeSpan.FromSeconds(5);
}
