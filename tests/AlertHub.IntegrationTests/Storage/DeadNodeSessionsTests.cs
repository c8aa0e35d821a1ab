using AlertHub.Core.Cluster;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Storage;
using AlertHub.Storage.Postgres.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// A node frozen in the middle of a statement (a stopped VM) is not idle in a transaction, so the server's idle timeout
/// never frees its row locks, and the take-over of its claims waited on them for as long as it was frozen (CI:
/// NodeDeathTests.Stalled_… timed out waiting for the take-over). The node that declares it dead first ends its sessions,
/// found by the <c>application_name</c> every hub session carries.
/// </summary>
public sealed class DeadNodeSessionsTests
{
    [PostgresFact]
    public async Task EndSessionsOf_ADeadNodeMidStatement_FreesItsLocks_ItsLateWriteFails_OtherNodesUntouched()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync();
        await using (var setup = new NpgsqlConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE claims(id int PRIMARY KEY, holder text); INSERT INTO claims VALUES (1, 'node-a')", setup);
            await create.ExecuteNonQueryAsync();
        }

        // No idle timeout: only ending the session can free what it holds.
        var noIdleTimeout = new StorageOptions { IdleInTransactionTimeout = TimeSpan.Zero };
        const string deadNode = "node-a/4242/0123456789abcdef0123456789abcdef";
        const string liveNode = "node-b/4343/fedcba9876543210fedcba9876543210";
        await using var deadSource = StorageSetup.PostgresDataSource(connectionString, noIdleTimeout, ClusterNode.SessionNameOf(deadNode));
        await using var liveSource = StorageSetup.PostgresDataSource(connectionString, noIdleTimeout, ClusterNode.SessionNameOf(liveNode));
        await using var frozen = await deadSource.OpenConnectionAsync();
        await using var transaction = await frozen.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT holder FROM claims WHERE id = 1 FOR UPDATE", frozen, transaction))
        {
            await lockRow.ExecuteScalarAsync();
        }

        await using var live = await liveSource.OpenConnectionAsync();
        using var membership = new PostgresClusterMembership(PostgresClusterMembership.OwnDataSource(connectionString));

        Assert.Equal(1, await membership.EndSessionsOfAsync([deadNode, "node-never-seen/1/ffff"], CancellationToken.None));

        // The take-over does not wait: the lock went with the session.
        await using var takeOver = new NpgsqlCommand("SET lock_timeout = '3s'; UPDATE claims SET holder = 'node-b' WHERE id = 1", live);
        Assert.Equal(1, await takeOver.ExecuteNonQueryAsync());
        // The frozen node, once awake, finds its transaction gone rather than committing over the take-over.
        await using var late = new NpgsqlCommand("UPDATE claims SET holder = 'node-a-again' WHERE id = 1", frozen, transaction);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => late.ExecuteNonQueryAsync());
        await using var check = new NpgsqlCommand("SELECT holder FROM claims WHERE id = 1", live);
        Assert.Equal("node-b", await check.ExecuteScalarAsync());
        Assert.Equal(0, await membership.EndSessionsOfAsync([], CancellationToken.None));
    }

    [PostgresFact]
    public Task TheHubsOwnConnections_CarryTheNodesSessionName() => TestEngine.RunOnPostgresAsync(async () =>
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();

        var node = hub.Services.GetRequiredService<ClusterNode>();
        await using var connection = await hub.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var show = new NpgsqlCommand("SHOW application_name", connection);
        Assert.Equal(node.SessionName, await show.ExecuteScalarAsync());
        Assert.StartsWith("alerthub/", node.SessionName, StringComparison.Ordinal);
        Assert.True(node.SessionName.Length <= 63, node.SessionName);
    });
}
