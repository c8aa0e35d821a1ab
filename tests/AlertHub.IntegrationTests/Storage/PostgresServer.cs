using AlertHub.Tests.Shared.Servers;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// One throwaway PostgreSQL cluster for the whole test run (initdb + pg_ctl on a random 127.0.0.1 port, fsync off: about
/// a second), started by the first test that asks and stopped when the test process exits. Each test gets a database of
/// its own, so tests never see each other's rows.
/// </summary>
internal static class PostgresServer
{
    private static readonly Lazy<Task<PostgresCluster>> Cluster = new(StartAsync);

    /// <summary>Null when PostgreSQL can run here (or under CI, where a missing server must fail, not skip); else why not.</summary>
    public static string? SkipReason { get; } =
        PostgresCluster.FindBinaries(withPostGis: false) is null && Environment.GetEnvironmentVariable("CI") != "true"
            ? "needs PostgreSQL (`apt-get install postgresql-15`; .ci/run installs it)"
            : null;

    /// <summary>Creates an empty database and returns a connection string for it (over TCP, as a hub is configured).</summary>
    public static async Task<string> NewDatabaseAsync()
    {
        var cluster = await Cluster.Value;
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(cluster.ConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        return cluster.TcpConnectionString(name);
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        var bin = PostgresCluster.FindBinaries(withPostGis: false)
            ?? throw new InvalidOperationException("PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql-15).");
        // A test server: durability settings off (the cluster is deleted at exit), enough connections for parallel test classes.
        var cluster = await PostgresCluster.StartAsync(bin, ["fsync = off", "synchronous_commit = off", "full_page_writes = off", "max_connections = 300"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return cluster;
    }
}
