namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// The Redis part of configuration section <c>Cluster</c>: what several hub nodes must share live (SignalR messages,
/// residents' presence, sign-in and registration limits). Nothing that must not be lost lives only in Redis
/// (docs/cluster.md).
/// </summary>
public sealed class ClusterRedisOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>redis:6379,password=…</c> or, with Sentinel,
    /// <c>s1:26379,s2:26379,s3:26379,serviceName=mymaster</c>. Default none: a single node, everything in process. Needs
    /// <c>Storage:Engine=postgres</c> (nodes share one store).
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>
    /// Prefix of every Redis channel and key the hub uses, so several hubs (a city's test and production) can share one
    /// Redis. Default <c>alerthub</c>.
    /// </summary>
    public string RedisChannelPrefix { get; set; } = "alerthub";

    /// <summary>
    /// How long a node's announcement of its connected residents lasts without a heartbeat (sent every third of this).
    /// A node that dies stops counting as holding anyone's connection within this time. Default 10 s.
    /// </summary>
    public TimeSpan RedisPresenceTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether <c>Cluster:Redis</c> is set in <paramref name="configuration"/>.</summary>
    internal static bool IsConfigured(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["Cluster:Redis"]);
}
