using AlertHub.IntegrationTests.Storage;
using AlertHub.MobileSim;
using AlertHub.MobileSim.Report;
using AlertHub.MobileSim.Scenarios;
using Npgsql;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>
/// <c>mobile-sim run --start-hub --engine postgres</c> end to end, as the lead runs it for the side-by-side figures: its own
/// throwaway cluster, the hub as its own process on it, a small population, and a report that names the engine.
/// </summary>
[PostgresEngine]
public sealed class EngineRunTests
{
    [StoreFact]
    public async Task Run_StartHubOnPostgres_ReachesEveryTargetOnceAndTheReportNamesPostgreSql()
    {
        var results = Path.Combine(Path.GetTempPath(), "alerthub-sim-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var exit = await MobileSimProgram.Main([
                "run", "--start-hub", "--engine", "postgres", "--hub-configuration", BuildConfiguration,
                "--residents", "300", "--seed", "7", "--audience", "", "--circle", "39.25,140.52,40000",
                "--mix", "signalr=0.25,webhook=0.25,line=0.25,fcm=0.25", "--timeout", "60", "--no-progress", "--results", results,
            ]);

            Assert.Equal(0, exit);
            var report = await ReportJson.ReadAsync(Path.Combine(results, "report.json"), CancellationToken.None);
            Assert.StartsWith("PostgreSQL 1", report.Run?.Engine, StringComparison.Ordinal);
            Assert.Equal(300, report.Imported);
            Assert.True(report.Overall.TargetedSim >= 250, $"the whole-city circle should target nearly everyone, got {report.Overall.TargetedSim}");
            Assert.Equal(report.Overall.TargetedSim, report.HubRecipients);
            Assert.Equal(report.Overall.TargetedSim, report.Overall.Received);
            Assert.Equal(0, report.Overall.Duplicates);
            Assert.Equal(0, report.Overall.OutsideReached);
            Assert.Equal(0, report.Overall.MissedInside);
            Assert.All(["signalr", "webhook", "line", "fcm"], c => Assert.True(report.Channels.Single(r => r.Channel == c).Received > 0, $"{c} received nothing"));
            Assert.Contains("store: PostgreSQL 1", ReportPrinter.ToTable(report), StringComparison.Ordinal);
            // The label alone proves nothing: the hub's writes must have gone to the cluster (residents, places and endpoints at least).
            var activity = Assert.IsType<StoreActivity>(report.Run!.StoreActivity);
            Assert.True(activity.RowsInserted >= 3 * 300,
                $"the hub wrote too little to PostgreSQL for 300 residents: {report.Run.StoreActivity}");
        }
        finally
        {
            if (Directory.Exists(results))
            {
                Directory.Delete(results, recursive: true);
            }
        }
    }

    [StoreFact]
    public async Task HubEngine_Postgres_GivesTheHubItsOwnDatabaseAndRemovesTheClusterWhenDisposed()
    {
        var engine = await HubEngine.StartAsync("postgres", CancellationToken.None);
        var root = engine.ClusterRoot;
        string connectionString;
        try
        {
            Assert.Equal("postgres", engine.HubSettings["Storage:Engine"]);
            connectionString = new NpgsqlConnectionStringBuilder(engine.HubSettings["ConnectionStrings:AlertHub"]) { Pooling = false }.ConnectionString;
            Assert.Equal("127.0.0.1", new NpgsqlConnectionStringBuilder(connectionString).Host);
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT current_database()", connection);
                Assert.Equal("alerthub_sim", await command.ExecuteScalarAsync());
            }

            Assert.StartsWith("PostgreSQL 1", engine.Description, StringComparison.Ordinal);
            Assert.True(Directory.Exists(root));
        }
        finally
        {
            await engine.DisposeAsync();
        }

        Assert.False(Directory.Exists(root), $"{root} is still there");
        await using var gone = new NpgsqlConnection(connectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => gone.OpenAsync());
    }

    [Fact]
    public void Engine_WithoutStartHubOrUnknown_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(["run", "--engine", "postgres"]).Engine());
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(["run", "--start-hub", "--engine", "mysql"]).Engine());
        Assert.Equal(HubEngine.Postgres, CommandLine.Parse(["run", "--start-hub", "--engine", "postgres"]).Engine());
        Assert.Equal(HubEngine.Sqlite, CommandLine.Parse(["run", "--start-hub"]).Engine());
    }

    [Fact]
    public void Published_NeedsStartHub()
    {
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(["run", "--published"]).Published());
        Assert.True(CommandLine.Parse(["run", "--start-hub", "--published"]).Published());
        Assert.False(CommandLine.Parse(["run", "--start-hub"]).Published());
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
