using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// A hub node frozen in the middle of a transaction (a stopped VM) keeps its row locks for as long as it is frozen, and the
/// other nodes' take-over of its claims waits on them. The hub's sessions therefore carry
/// <c>idle_in_transaction_session_timeout</c> (<see cref="StorageOptions.IdleInTransactionTimeout"/>): the server ends such a
/// session and frees its locks. Found by NodeDeathTests.Stalled_…: one run in three never took the stopped node's work over.
/// </summary>
public sealed class IdleInTransactionTimeoutTests
{
    [PostgresFact]
    public async Task ASessionIdleInATransaction_IsEndedByTheServer_AndItsRowLocksAreFreed()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync();
        await using (var setup = new NpgsqlConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE claims(id int PRIMARY KEY, holder text); INSERT INTO claims VALUES (1, 'node-a')", setup);
            await create.ExecuteNonQueryAsync();
        }

        await using var hub = StorageSetup.PostgresDataSource(connectionString, new StorageOptions { IdleInTransactionTimeout = TimeSpan.FromSeconds(1) });
        await using var frozen = await hub.OpenConnectionAsync();
        await using var transaction = await frozen.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT holder FROM claims WHERE id = 1 FOR UPDATE", frozen, transaction))
        {
            await lockRow.ExecuteScalarAsync();
        }

        // Another node takes the claim over: it waits for the frozen session's lock, which the server frees after 1 s.
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync();
        await using var takeOver = new NpgsqlCommand("SET lock_timeout = '20s'; UPDATE claims SET holder = 'node-b' WHERE id = 1", other);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await takeOver.ExecuteNonQueryAsync();
        Assert.InRange(waited.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(15));

        // The frozen node, once awake, finds its transaction gone rather than committing over the take-over.
        await using var late = new NpgsqlCommand("UPDATE claims SET holder = 'node-a-again' WHERE id = 1", frozen, transaction);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => late.ExecuteNonQueryAsync());
        await using var check = new NpgsqlCommand("SELECT holder FROM claims WHERE id = 1", other);
        Assert.Equal("node-b", await check.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task TheSetting_IsAddedToTheConnectionString_UnlessItsOwnOptionsSetIt_OrItIsTurnedOff()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync();

        Assert.Equal("10s", await ShowAsync(StorageSetup.PostgresDataSource(connectionString, new StorageOptions())));
        var own = new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c idle_in_transaction_session_timeout=60000" }.ConnectionString;
        Assert.Equal("1min", await ShowAsync(StorageSetup.PostgresDataSource(own, new StorageOptions())));
        Assert.Equal("0", await ShowAsync(StorageSetup.PostgresDataSource(connectionString, new StorageOptions { IdleInTransactionTimeout = TimeSpan.Zero })));
    }

    [PostgresFact]
    public Task TheHubsOwnConnections_CarryTheDefault() => TestEngine.RunOnPostgresAsync(async () =>
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();

        await using var connection = await hub.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var show = new NpgsqlCommand("SHOW idle_in_transaction_session_timeout", connection);
        Assert.Equal("10s", await show.ExecuteScalarAsync());
    });

    private static async Task<string> ShowAsync(NpgsqlDataSource dataSource)
    {
        await using (dataSource)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var show = new NpgsqlCommand("SHOW idle_in_transaction_session_timeout", connection);
            return (string)(await show.ExecuteScalarAsync())!;
        }
    }
}
