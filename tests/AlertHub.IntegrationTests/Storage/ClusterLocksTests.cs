using AlertHub.Core.Cluster;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Storage.Postgres.Cluster;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>Cluster-wide named locks: PostgreSQL session advisory locks, and the embedded store's in-process ones.</summary>
public sealed class ClusterLocksTests : IAsyncLifetime
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
    public async Task Acquire_OnTwoNodes_TheSecondWaitsUntilTheFirstLetsGo_AndOtherNamesDoNotWait()
    {
        var nodeA = new PostgresClusterLocks(_db);
        var nodeB = new PostgresClusterLocks(_db);
        var held = await nodeA.AcquireAsync("feed-intake", CancellationToken.None);

        var waiting = nodeB.AcquireAsync("feed-intake", CancellationToken.None);
        await using (await nodeB.AcquireAsync("something-else", CancellationToken.None))
        {
        }

        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "a second node took a lock the first still held");
        await held.DisposeAsync();
        await using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [PostgresFact]
    public async Task TryAcquire_WhileAnotherNodeHoldsIt_IsRefusedAtOnce_AndTakenOnceItLetsGo()
    {
        var nodeA = new PostgresClusterLocks(_db);
        var nodeB = new PostgresClusterLocks(_db);
        var held = await nodeA.AcquireAsync("alerts.queueing:x:1", CancellationToken.None);

        Assert.Null(await nodeB.TryAcquireAsync("alerts.queueing:x:1", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2)));
        await using (var other = await nodeB.TryAcquireAsync("alerts.queueing:x:2", CancellationToken.None))
        {
            Assert.NotNull(other);
        }

        await held.DisposeAsync();
        await using var taken = await nodeB.TryAcquireAsync("alerts.queueing:x:1", CancellationToken.None);
        Assert.NotNull(taken);
        Assert.Null(await nodeA.TryAcquireAsync("alerts.queueing:x:1", CancellationToken.None));
    }

    [Fact]
    public async Task TryAcquire_InProcess_IsRefusedWhileHeld()
    {
        var locks = new InProcessClusterLocks();
        var held = await locks.AcquireAsync("alerts.queueing:x:1", CancellationToken.None);

        Assert.Null(await locks.TryAcquireAsync("alerts.queueing:x:1", CancellationToken.None));
        await held.DisposeAsync();
        await using var taken = await locks.TryAcquireAsync("alerts.queueing:x:1", CancellationToken.None);
        Assert.NotNull(taken);
    }

    [PostgresFact]
    public async Task Acquire_TheHoldersSessionDies_AnotherNodeGetsTheLock()
    {
        var nodeA = new PostgresClusterLocks(_db);
        var nodeB = new PostgresClusterLocks(_db);
        var held = await nodeA.AcquireAsync("feed-intake", CancellationToken.None);
        var waiting = nodeB.AcquireAsync("feed-intake", CancellationToken.None);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);

        // What a SIGKILLed node's session does: it ends, and the server lets its locks go.
        await using (var admin = await _db.OpenConnectionAsync())
        {
            // Only that session: the server is shared with every other test running now (unscoped, this cut their pooled
            // sessions too, and a store test elsewhere failed with 57P01 in CI).
            await using var kill = new NpgsqlCommand("""
                SELECT count(pg_terminate_backend(pid)) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('alerthub:feed-intake', 0)
                """, admin);
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        await using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        await held.DisposeAsync();
    }

    [Fact]
    public async Task InProcess_TheSecondWaitsUntilTheFirstLetsGo_AndReleasingTwiceReleasesOnce()
    {
        var locks = new InProcessClusterLocks();
        var held = await locks.AcquireAsync("feed-intake", CancellationToken.None);
        var waiting = locks.AcquireAsync("feed-intake", CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        await held.DisposeAsync();
        await held.DisposeAsync();
        var second = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(locks.AcquireAsync("feed-intake", CancellationToken.None).IsCompleted, "a double release let a third holder in");
        await second.DisposeAsync();
    }
}
