using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Core.Storage;
using System.Diagnostics;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Targeting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AlertHub.Benchmarks;

/// <summary>
/// <c>outbox [residents] [alerts]</c>: the issuing transaction on its own — one alert version plus its outbox (items of
/// up to 500 recipients per channel), written by the hub's <see cref="AlertRecords"/> into a real SQLite file. Residents
/// have one endpoint each (LINE 70 %, FCM 30 %, like the cost-curve run) and everyone is targeted. Several alerts run one
/// after another so later ones write into an outbox that already holds millions of recipients. Prints wall and CPU time
/// per alert.
/// </summary>
internal static class OutboxWriteBenchmark
{
    public static async Task<int> Run(string[] args)
    {
        var residents = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var alerts = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var dir = Path.Combine(Path.GetTempPath(), "alerthub-outbox-bench", Guid.NewGuid().ToString("N"));
        try
        {
            var database = new Database(Options.Create(new StorageOptions { DataDirectory = dir }), new BenchmarkEnvironment());
            await database.MigrateAsync(CancellationToken.None);
            var byChannel = await SeedAsync(database, residents);
            var store = new AlertRecords(new SqliteStoreTransactions(database), new SqliteAlertStore(database), new SqliteDraftStore(database),
                new SqliteOutboxStore(database), new Server.Features.Auth.AuditLog(new SqliteAuditLogStore(database), TimeProvider.System),
                new Server.Features.Cluster.InProcessClusterEvents(Microsoft.Extensions.Logging.Abstractions.NullLogger<Server.Features.Cluster.InProcessClusterEvents>.Instance), TimeProvider.System);
            Console.WriteLine($"outbox write: {residents:N0} residents, one endpoint each (line 70 %, fcm 30 %), everyone targeted; SQLite file {database.FilePath}");
            for (var i = 0; i < alerts; i++)
            {
                var document = Document($"bench{i:D4}{Guid.NewGuid():N}"[..32]);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                var enqueue = new OutboxEnqueue(document.Id, 1, document.Priority, RecipientRule.Targeted,
                    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), byChannel, ["line", "fcm"], null, 0, [], _ => [], _ => 500);
                var (recipients, queued) = await store.InsertVersionAsync(document, enqueue, "bench", CancellationToken.None);
                wall.Stop();
                var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                Console.WriteLine($"alert {i + 1}: {recipients:N0} recipients ({string.Join(", ", queued.Select(c => $"{c.Key} {c.Value:N0}"))}) " +
                                  $"in {wall.Elapsed.TotalSeconds:N2} s wall, {cpuUsed.TotalSeconds:N2} s CPU");
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Residents with one endpoint each; returns them per channel, as the targeting index hands them to the outbox.</summary>
    private static async Task<Dictionary<string, IReadOnlyList<Guid>>> SeedAsync(Database database, int count)
    {
        var random = new Random(11);
        var ids = new Guid[count];
        var byChannel = new Dictionary<string, List<Guid>> { ["line"] = [], ["fcm"] = [] };
        await using var connection = await database.OpenAsync();
        await using var tx = connection.BeginTransaction();
        await using var resident = connection.CreateCommand();
        resident.Transaction = tx;
        resident.CommandText = """
            INSERT INTO residents(id, token_hash, household_tags, tags, created_at, updated_at)
            VALUES ($id, x'00', '[]', '[]', '2026-01-01', '2026-01-01')
            """;
        var residentId = resident.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        await using var endpoint = connection.CreateCommand();
        endpoint.Transaction = tx;
        endpoint.CommandText = "INSERT INTO resident_endpoints(resident_id, channel, address, created_at) VALUES ($id, $channel, $address, '2026-01-01')";
        var endpointResident = endpoint.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        var channel = endpoint.Parameters.Add("$channel", Microsoft.Data.Sqlite.SqliteType.Text);
        var address = endpoint.Parameters.Add("$address", Microsoft.Data.Sqlite.SqliteType.Text);
        for (var i = 0; i < count; i++)
        {
            ids[i] = new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16));
            residentId.Value = endpointResident.Value = ids[i].ToString();
            channel.Value = random.NextDouble() < 0.7 ? "line" : "fcm";
            byChannel[(string)channel.Value].Add(ids[i]);
            address.Value = "device-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await resident.ExecuteNonQueryAsync();
            await endpoint.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        return byChannel.ToDictionary(c => c.Key, c => (IReadOnlyList<Guid>)c.Value);
    }

    internal static AlertDocument Document(string id) => new(
        id, 1, "urn:alerthub:bench:" + id, "bench@alerthub", DateTimeOffset.UtcNow, AlertStatus.Exercise, MsgType.Alert, "洪水",
        Severity.Severe, Urgency.Immediate, Certainty.Likely, new AreaSpec(null, null, null, ["05203"]), "横手市", null, null,
        new() { ["ja"] = new AlertText("避難指示", "benchmark", null) }, ["ja"], null, [], false,
        AlertDocument.PriorityOf(Severity.Severe, Urgency.Immediate));

    private sealed class BenchmarkEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";
        public string ApplicationName { get; set; } = "bench";
        public string ContentRootPath { get; set; } = Path.GetTempPath();
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
