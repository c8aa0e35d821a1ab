using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Dashboard;

/// <summary>One node as staff see it in <c>GET /api/cluster</c>.</summary>
/// <param name="State"><c>live</c>, <c>silent</c> (no heartbeat for a while, not yet given up), <c>dead</c> (its work was taken over) or <c>left</c> (stopped cleanly).</param>
/// <param name="InFlight">Outbox items this node is sending right now.</param>
/// <param name="Roles">The jobs only one node runs that this node holds now (e.g. <c>feeds.jma</c>, the JMA poller).</param>
/// <param name="IndexLag">How many resident changes the node's targeting index had not applied at its last heartbeat (a
/// node behind targets by older data: it should be 0 within a second); null on one node, or before its first report.</param>
/// <param name="Delivered">Deliveries this node has recorded since it started (as of its last heartbeat): how the work spreads.</param>
internal sealed record ClusterNodeStatus(string Id, string Name, string State, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, double HeartbeatAgeSeconds,
    int InFlight, bool IsThisNode, IReadOnlyList<string> Roles, long? IndexLag, long Delivered);

/// <summary><c>GET /api/cluster</c>.</summary>
/// <param name="Shared">False on the embedded SQLite store: one node.</param>
/// <param name="StoreFailingOver">While this node's database is unreachable or read-only (a failover): why; otherwise null.</param>
/// <param name="Redis">The cluster's Redis as this node sees it; null without <c>Cluster:Redis</c>.</param>
internal sealed record ClusterStatus(string ThisNode, bool Shared, int LiveNodes, IReadOnlyList<ClusterNodeStatus> Nodes, string? StoreFailingOver = null,
    ClusterRedisStatus? Redis = null);

/// <summary>The cluster's Redis in <c>GET /api/cluster</c>.</summary>
/// <param name="Primary">The primary this node writes to (host:port), or null while none is reachable.</param>
/// <param name="Sentinel">Whether the primary is found through Redis Sentinel (it then fails over by itself).</param>
/// <param name="Problem">Null while a primary is reachable; otherwise "failing over: …" or "unreachable: …".</param>
internal sealed record ClusterRedisStatus(string? Primary, bool Sentinel, string? Problem);

internal static class ClusterApi
{
    /// <summary>Maps <c>GET /api/cluster</c> for staff: which nodes share the store, which are alive, what each has in flight.</summary>
    public static RouteHandlerBuilder MapClusterApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/cluster", async (IClusterMembership membership, ClusterNode node, IOutboxStore outbox, IClusterLeases leases,
            IOptions<Cluster.ClusterOptions> options, Health.HealthState health, IServiceProvider services, CancellationToken ct) =>
        {
            var (now, members) = await membership.ListAsync(ct);
            // Read after the heartbeats: a change committed in between can only make a node look further behind, never less.
            var latestChange = services.GetService<IResidentChangeFeed>() is { } feed ? await feed.LatestAsync(ct) : (long?)null;
            var inFlight = await outbox.ClaimsByClaimantAsync(ct);
            var roles = (await leases.ListAsync(ct)).Where(l => l.Active).ToLookup(l => l.Holder, l => l.Name);
            var silentAfter = options.Value.HeartbeatInterval * 3;
            var nodes = members.Select(m =>
            {
                var age = now - m.HeartbeatAt;
                var state = m.LeftAt is not null ? "left" : m.DeclaredDeadAt is not null ? "dead" : age > silentAfter ? "silent" : "live";
                return new ClusterNodeStatus(m.Id, m.Name, state, m.StartedAt, m.HeartbeatAt, Math.Round(Math.Max(0, age.TotalSeconds), 1),
                    inFlight.GetValueOrDefault(m.Id), m.Id == node.Id, [.. roles[m.Id].Order(StringComparer.Ordinal)],
                    latestChange is { } latest && m.IndexApplied is { } applied ? Math.Max(0, latest - applied) : null,
                    m.Id == node.Id ? node.Delivered : m.Delivered);
            }).ToList();
            return TypedResults.Ok(new ClusterStatus(node.Id, membership.IsShared, nodes.Count(n => n.State == "live"), nodes,
                health.Degraded.GetValueOrDefault(Health.HealthState.StoreFailingOver),
                services.GetService<Cluster.ClusterRedis>() is { } redis ? new ClusterRedisStatus(redis.Primary, redis.ViaSentinel, redis.Problem) : null));
        }).WithTags("Cluster").RequireAuthorization(StaffRoles.Policies.Viewer);
}
