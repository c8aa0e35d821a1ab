using AlertHub.Core.Cluster;
using AlertHub.IntegrationTests.Storage;
using AlertHub.Storage.Postgres.Cluster;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// What every <see cref="IClusterLeases"/> does, written once: two nodes' views of one lease table (on PostgreSQL two nodes on
/// one database; in process two holders on one book).
/// </summary>
public abstract class ClusterLeasesConformance : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    private protected TestStores Stores { get; } = new();

    private protected ClusterNode NodeA { get; } = new("node-a");

    private protected ClusterNode NodeB { get; } = new("node-b");

    private IClusterLeases A { get; set; } = null!;

    private IClusterLeases B { get; set; } = null!;

    /// <summary>Leases as <paramref name="nodes"/> see them, all on one shared table.</summary>
    private protected abstract Task<IClusterLeases[]> CreateAsync(params ClusterNode[] nodes);

    public async Task InitializeAsync()
    {
        var leases = await CreateAsync(NodeA, NodeB);
        (A, B) = (leases[0], leases[1]);
    }

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task TryAcquire_FreeLease_IsTakenAndListedWithItsHolder()
    {
        Assert.True(await A.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));

        var lease = Assert.Single(await B.ListAsync(CancellationToken.None));
        Assert.Equal(("feeds.jma", NodeA.Id, true), (lease.Name, lease.Holder, lease.Active));
        Assert.InRange(lease.ExpiresAt - lease.AcquiredAt, Long - TimeSpan.FromSeconds(1), Long + TimeSpan.FromSeconds(1));
    }

    [StoreFact]
    public async Task TryAcquire_HeldByAnotherNode_IsRefusedAndTheHolderKeepsIt()
    {
        Assert.True(await A.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));

        Assert.False(await B.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));
        Assert.Equal(NodeA.Id, Assert.Single(await A.ListAsync(CancellationToken.None)).Holder);
    }

    [StoreFact]
    public async Task TryAcquire_RenewByTheHolder_ExtendsTheExpiryAndKeepsTheAcquiredTime()
    {
        Assert.True(await A.TryAcquireAsync("feeds.jma", TimeSpan.FromSeconds(30), CancellationToken.None));
        var first = Assert.Single(await A.ListAsync(CancellationToken.None));

        Assert.True(await A.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));

        var renewed = Assert.Single(await A.ListAsync(CancellationToken.None));
        Assert.Equal(first.AcquiredAt, renewed.AcquiredAt);
        Assert.True(renewed.ExpiresAt > first.ExpiresAt + TimeSpan.FromMinutes(4), $"{first.ExpiresAt} → {renewed.ExpiresAt}");
    }

    [StoreFact]
    public async Task TryAcquire_AfterTheHolderLetItExpire_AnotherNodeTakesItOver()
    {
        Assert.True(await A.TryAcquireAsync("feeds.jma", TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.False(await B.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));

        await Task.Delay(600);
        Assert.False(Assert.Single(await B.ListAsync(CancellationToken.None)).Active);
        Assert.True(await B.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));

        var lease = Assert.Single(await A.ListAsync(CancellationToken.None));
        Assert.Equal((NodeB.Id, true), (lease.Holder, lease.Active));
        // The old holder's renewal now fails: it has lost the lease and must stop.
        Assert.False(await A.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));
    }

    [StoreFact]
    public async Task TryAcquire_ManyNodesRacingForOneFreeLease_ExactlyOneWins()
    {
        var nodes = Enumerable.Range(0, 8).Select(i => new ClusterNode($"racer-{i}")).ToArray();
        var leases = await CreateAsync(nodes);
        using var start = new ManualResetEventSlim();
        var attempts = leases.Select(l => Task.Run(async () =>
        {
            start.Wait();
            return await l.TryAcquireAsync("camera.cam-1", Long, CancellationToken.None);
        })).ToArray();
        start.Set();

        var won = await Task.WhenAll(attempts);

        var winner = Assert.Single(Enumerable.Range(0, nodes.Length), i => won[i]);
        Assert.Equal(nodes[winner].Id, Assert.Single(await leases[0].ListAsync(CancellationToken.None)).Holder);
    }

    [StoreFact]
    public async Task TryAcquire_ManyNodesRacingForAnExpiredLease_ExactlyOneTakesItOver()
    {
        Assert.True(await A.TryAcquireAsync("feeds.jma", TimeSpan.FromMilliseconds(200), CancellationToken.None));
        await Task.Delay(500);
        var nodes = Enumerable.Range(0, 8).Select(i => new ClusterNode($"racer-{i}")).ToArray();
        var leases = await CreateAsync(nodes);
        using var start = new ManualResetEventSlim();
        var attempts = leases.Select(l => Task.Run(async () =>
        {
            start.Wait();
            return await l.TryAcquireAsync("feeds.jma", Long, CancellationToken.None);
        })).ToArray();
        start.Set();

        var won = await Task.WhenAll(attempts);

        var winner = Assert.Single(Enumerable.Range(0, nodes.Length), i => won[i]);
        Assert.Equal(nodes[winner].Id, Assert.Single(await A.ListAsync(CancellationToken.None)).Holder);
    }

    [StoreFact]
    public async Task Release_ByTheHolder_FreesTheLeaseAtOnce()
    {
        Assert.True(await A.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));

        await A.ReleaseAsync("feeds.jma", CancellationToken.None);

        Assert.Empty(await B.ListAsync(CancellationToken.None));
        Assert.True(await B.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));
    }

    [StoreFact]
    public async Task Release_ByANodeThatDoesNotHoldIt_ChangesNothing()
    {
        Assert.True(await A.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));

        await B.ReleaseAsync("feeds.jma", CancellationToken.None);

        Assert.Equal(NodeA.Id, Assert.Single(await B.ListAsync(CancellationToken.None)).Holder);
        Assert.False(await B.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));
    }

    [StoreFact]
    public async Task List_SeveralLeases_EachWithItsOwnHolderByName()
    {
        Assert.True(await B.TryAcquireAsync("feeds.jma", Long, CancellationToken.None));
        Assert.True(await A.TryAcquireAsync("camera.cam-2", Long, CancellationToken.None));
        Assert.True(await B.TryAcquireAsync("camera.cam-1", Long, CancellationToken.None));

        var list = await A.ListAsync(CancellationToken.None);

        Assert.Equal([("camera.cam-1", NodeB.Id), ("camera.cam-2", NodeA.Id), ("feeds.jma", NodeB.Id)], list.Select(l => (l.Name, l.Holder)));
    }
}

public sealed class InProcessClusterLeasesTests : ClusterLeasesConformance
{
    private readonly InProcessClusterLeases.LeaseBook _book = new();

    private protected override Task<IClusterLeases[]> CreateAsync(params ClusterNode[] nodes) =>
        Task.FromResult(nodes.Select(n => (IClusterLeases)new InProcessClusterLeases(n, TimeProvider.System, _book)).ToArray());
}

[PostgresEngine]
public sealed class PostgresClusterLeasesTests : ClusterLeasesConformance
{
    private Npgsql.NpgsqlDataSource? _dataSource;

    private protected override async Task<IClusterLeases[]> CreateAsync(params ClusterNode[] nodes)
    {
        _dataSource ??= await Stores.PostgresAsync();
        return [.. nodes.Select(n => (IClusterLeases)new PostgresClusterLeases(_dataSource, n))];
    }
}
