using AlertHub.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>Every hub node migrates at start; the advisory lock lets exactly one apply each step.</summary>
[PostgresEngine]
public sealed class PostgresMigratorTests
{
    [StoreFact]
    public async Task Migrate_FourNodesAtOnce_ApplyEachStepOnce()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync();
        var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(connectionString)).ToArray();
        try
        {
            // A step that is not idempotent: a second application would fail on the existing table or add a second row.
            (int, string)[] steps =
            [
                (1, "CREATE TABLE applied(step integer NOT NULL); INSERT INTO applied VALUES (1); SELECT pg_sleep(0.2);"),
                (2, "INSERT INTO applied VALUES (2);"),
            ];

            var applied = await Task.WhenAll(sources.Select(s => Task.Run(() =>
                new PostgresMigrator(s, NullLogger<PostgresMigrator>.Instance).MigrateAsync(CancellationToken.None, steps))));

            Assert.Equal(2, applied.Sum());
            Assert.Equal([1, 2], await ReadIntsAsync(sources[0], "SELECT step FROM applied ORDER BY step"));
            Assert.Equal([1, 2], await ReadIntsAsync(sources[0], "SELECT version FROM schema_migrations ORDER BY version"));
        }
        finally
        {
            foreach (var s in sources)
            {
                await s.DisposeAsync();
            }
        }
    }

    [StoreFact]
    public async Task Migrate_AStepFails_EarlierStepsStayAndTheFailedOneIsRetriedNextTime()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync();
        await using var source = NpgsqlDataSource.Create(connectionString);
        var migrator = new PostgresMigrator(source, NullLogger<PostgresMigrator>.Instance);
        (int, string)[] broken = [(1, "CREATE TABLE a(x integer);"), (2, "CREATE TABLE b(x integer); SELECT * FROM no_such_table;")];

        await Assert.ThrowsAsync<PostgresException>(() => migrator.MigrateAsync(CancellationToken.None, broken));

        Assert.Equal([1], await ReadIntsAsync(source, "SELECT version FROM schema_migrations"));
        Assert.Equal([0], await ReadIntsAsync(source, "SELECT count(*)::int FROM pg_tables WHERE tablename = 'b'"));
        Assert.Equal(1, await migrator.MigrateAsync(CancellationToken.None, [broken[0], (2, "CREATE TABLE b(x integer);")]));
        // The lock was released, not left with an idle pooled connection: another session takes it at once.
        await using var other = NpgsqlDataSource.Create(connectionString + ";Pooling=false");
        Assert.Equal([1], await ReadIntsAsync(other, $"SELECT CASE WHEN pg_try_advisory_lock({PostgresMigrator.AdvisoryLockKey}) THEN 1 ELSE 0 END"));
    }

    [StoreFact]
    public async Task Migrate_TheHubsSchema_AppliesOnceAndThenFindsNothingToDo()
    {
        await using var source = NpgsqlDataSource.Create(await PostgresServer.NewDatabaseAsync());
        var migrator = new PostgresMigrator(source, NullLogger<PostgresMigrator>.Instance);

        Assert.Equal(PostgresMigrations.All.Count, await migrator.MigrateAsync(CancellationToken.None));
        Assert.Equal(0, await migrator.MigrateAsync(CancellationToken.None));
    }

    [Fact]
    public void Steps_OfEveryGroup_HaveNumbersNoOtherStepHas()
    {
        var duplicates = PostgresMigrations.All.GroupBy(s => s.Version).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

        Assert.Empty(duplicates);
        Assert.All(PostgresMigrations.All, s => Assert.False(string.IsNullOrWhiteSpace(s.Sql), $"step {s.Version} is empty"));
    }

    private static async Task<List<int>> ReadIntsAsync(NpgsqlDataSource source, string sql)
    {
        await using var cmd = source.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<int>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetInt32(0));
        }

        return list;
    }
}
