using AlertHub.Core.Cluster;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Storage.Postgres.Cluster;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>The PostgreSQL membership table: heartbeats, declaring silent nodes dead exactly once, and a node that comes back.</summary>
public sealed class ClusterMembershipTests : IAsyncLifetime
{
    private readonly TestStores _stores = new();
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        if (PostgresServer.SkipReason is null)
        {
            _db = await _stores.PostgresAsync();
        }
    }

    public async Task DisposeAsync() => await _stores.DisposeAsync();

    [PostgresFact]
    public async Task DeclareSilentNodesDead_TwoNodesLookAtOnce_EachSilentNodeIsDeclaredOnce()
    {
        var membership = new PostgresClusterMembership(_db);
        var silent = Enumerable.Range(0, 20).Select(i => new ClusterNode($"silent-{i}")).ToList();
        foreach (var node in silent)
        {
            await membership.HeartbeatAsync(node, CancellationToken.None);
        }

        var alive = new ClusterNode("alive");
        await Task.Delay(1200);
        await membership.HeartbeatAsync(alive, CancellationToken.None);

        var lookers = Enumerable.Range(0, 4).Select(_ => new PostgresClusterMembership(_db).DeclareSilentNodesDeadAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
        var declared = (await Task.WhenAll(lookers)).SelectMany(ids => ids).ToList();

        Assert.Equal(silent.Select(n => n.Id).Order(), declared.Order());
        Assert.Empty(await membership.DeclareSilentNodesDeadAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Equal(silent.Count, (await membership.RecentlyDeadAsync(TimeSpan.FromMinutes(1), CancellationToken.None)).Count);
        var (_, members) = await membership.ListAsync(CancellationToken.None);
        Assert.Equal(alive.Id, members[0].Id);
        Assert.Null(members[0].DeclaredDeadAt);
    }

    [PostgresFact]
    public async Task Heartbeat_AfterBeingDeclaredDead_SaysSoOnceAndTheNodeIsLiveAgain()
    {
        var membership = new PostgresClusterMembership(_db);
        var node = new ClusterNode("paused");
        Assert.False(await membership.HeartbeatAsync(node, CancellationToken.None));
        await Task.Delay(1200);
        Assert.Equal([node.Id], await membership.DeclareSilentNodesDeadAsync(TimeSpan.FromSeconds(1), CancellationToken.None));

        Assert.True(await membership.HeartbeatAsync(node, CancellationToken.None));
        Assert.False(await membership.HeartbeatAsync(node, CancellationToken.None));
        var (_, members) = await membership.ListAsync(CancellationToken.None);
        Assert.Null(Assert.Single(members).DeclaredDeadAt);
    }

    [PostgresFact]
    public async Task Leave_TheNodeIsNeverDeclaredDead()
    {
        var membership = new PostgresClusterMembership(_db);
        var node = new ClusterNode("stopped");
        await membership.HeartbeatAsync(node, CancellationToken.None);
        await membership.LeaveAsync(node, CancellationToken.None);
        await Task.Delay(1200);

        Assert.Empty(await membership.DeclareSilentNodesDeadAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
        var (_, members) = await membership.ListAsync(CancellationToken.None);
        Assert.NotNull(Assert.Single(members).LeftAt);
    }
}
