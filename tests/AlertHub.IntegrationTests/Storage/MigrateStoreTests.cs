using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Storage.Migration;
using AlertHub.Storage.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// <c>migrate-store</c> end to end: a SQLite hub filled through its API and stopped, copied into a real PostgreSQL database,
/// then started there over the same data directory; interrupted copies resumed; and the copies it must refuse.
/// </summary>
[PostgresEngine]
public sealed partial class MigrateStoreTests
{
    private static readonly Lazy<Task<FilledHub>> Filled = new(FillAsync);

    /// <summary>A stopped SQLite hub with one of everything, and what its API answered before it stopped.</summary>
    private sealed record FilledHub(string Directory, Dictionary<string, JsonNode> Answers, Dictionary<string, long> Counts, string CameraId);

    [StoreFact]
    public async Task MigrateStore_FilledSqliteHub_ThePostgresHubOverTheSameDataDirectoryAnswersAsTheSqliteHubDid()
    {
        var filled = await Filled.Value;
        var target = await PostgresServer.NewDatabaseAsync();
        var output = new StringWriter();

        var exit = await RunAsync(filled.Directory, target, output);

        Assert.True(exit == 0, output.ToString());
        Assert.Matches(@"outbox_receipts\s+\d+\s+\d+\s+ok", output.ToString());
        Assert.DoesNotContain("MISMATCH", output.ToString(), StringComparison.Ordinal);
        using var hub = new HubFactory(filled.Directory, new Dictionary<string, string?>
        {
            ["Storage:Engine"] = "postgres",
            ["ConnectionStrings:AlertHub"] = target,
        });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var answers = await AnswersAsync(admin);
        foreach (var (path, before) in filled.Answers)
        {
            Assert.True(JsonNode.DeepEquals(before, answers[path]), $"{path}\nSQLite:     {before.ToJsonString()}\nPostgreSQL: {answers[path].ToJsonString()}");
        }

        foreach (var (table, rows) in filled.Counts)
        {
            Assert.Equal((table, rows), (table, await hub.CountAsync($"SELECT count(*) FROM {table}")));
        }

        // The password was encrypted with the data directory's data-protection keys; the PostgreSQL hub still decrypts it.
        var store = hub.Services.GetRequiredService<AlertHub.Core.Storage.ICameraStore>();
        Assert.Equal("s3cret-Pa55", (await store.GetCredentialsAsync(filled.CameraId, CancellationToken.None))?.Password);

        // New rows continue after the copied ids (the identity sequences were advanced), so the hub can go on writing.
        var shelter = await admin.PostAsJsonAsync("/api/shelters", new { id = "after-move", name = "移行後の避難所", location = new { lat = 39.32, lon = 140.56 }, status = "open" });
        Assert.True(shelter.IsSuccessStatusCode, await shelter.Content.ReadAsStringAsync());
        Assert.Equal(filled.Counts["audit_log"] + 1, await hub.CountAsync("SELECT count(*) FROM audit_log"));
        Assert.Equal(filled.Counts["audit_log"] + 1, await hub.CountAsync("SELECT count(DISTINCT id) FROM audit_log"));
    }

    [StoreFact]
    public async Task MigrateStore_InterruptedPartWayTwice_ResumesWithExactCountsAndNoDuplicates()
    {
        var filled = await Filled.Value;
        var target = await PostgresServer.NewDatabaseAsync();
        var output = new StringWriter();

        // Stopped after a batch of 40 rows inside a table, as a Ctrl+C or a lost connection would.
        Assert.Equal(1, await RunAsync(filled.Directory, target, output, batchSize: 40, stopWhen: (table, rows) => table == "residents" && rows >= 120));
        Assert.Contains("run migrate-store again to continue", output.ToString(), StringComparison.Ordinal);
        var firstRows = await TargetRowsAsync(target);
        Assert.True(firstRows.Values.Sum() > 0, "the first run copied nothing");
        Assert.True(firstRows.Any(t => t.Value < filled.Counts.GetValueOrDefault(t.Key, 0) || !filled.Counts.ContainsKey(t.Key)), "the first run was not interrupted");

        Assert.Equal(1, await RunAsync(filled.Directory, target, output, batchSize: 40, stopWhen: (table, rows) => table == "resident_places" && rows >= 160));
        var secondRows = await TargetRowsAsync(target);
        Assert.True(secondRows.Values.Sum() > firstRows.Values.Sum(), "the second run did not continue");

        output = new StringWriter();
        Assert.True(await RunAsync(filled.Directory, target, output, batchSize: 40) == 0, output.ToString());
        var rows = await TargetRowsAsync(target);
        foreach (var (table, count) in filled.Counts)
        {
            Assert.Equal((table, count), (table, rows[table]));
        }

        await using var pg = new NpgsqlConnection(target);
        await pg.OpenAsync();
        Assert.Equal(filled.Counts["residents"], await ScalarAsync(pg, "SELECT count(DISTINCT id) FROM residents"));
        Assert.Equal(filled.Counts["resident_endpoints"], await ScalarAsync(pg, "SELECT count(DISTINCT id) FROM resident_endpoints"));
        Assert.Equal(filled.Counts["outbox_receipts"], await ScalarAsync(pg, "SELECT count(DISTINCT id) FROM outbox_receipts"));
        // Every batch was recorded with its rows, and a run after the copy finished copies nothing more.
        Assert.True(await RunAsync(filled.Directory, target, new StringWriter()) == 0);
        Assert.Equal(rows, await TargetRowsAsync(target));
    }

    [StoreFact]
    public async Task MigrateStore_WhileTheSqliteHubRuns_RefusesAndSaysToStopIt()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using (var client = hub.CreateClient())
        {
            await Api.RegisterAsync(client, 39.31, 140.55);
        }

        var target = await PostgresServer.NewDatabaseAsync();
        var output = new StringWriter();

        var exit = await RunAsync(hub.DataDirectory, target, output);

        Assert.True(exit == 1 && output.ToString().Contains("Stop the hub first", StringComparison.Ordinal), output.ToString());
        await using var pg = new NpgsqlConnection(target);
        await pg.OpenAsync();
        Assert.Equal(0L, await ScalarAsync(pg, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [StoreFact]
    public async Task MigrateStore_IntoADatabaseHoldingOtherHubData_RefusesAndLeavesItAlone()
    {
        var filled = await Filled.Value;
        var target = await PostgresServer.NewDatabaseAsync();
        await using (var source = new NpgsqlDataSourceBuilder(target).Build())
        {
            await new PostgresMigrator(source, NullLogger<PostgresMigrator>.Instance).MigrateAsync(CancellationToken.None);
            await using var insert = source.CreateCommand(
                "INSERT INTO shelters(id, name, lat, lon, status, updated_at, updated_by) VALUES ('other', '別の避難所', 39.3, 140.5, 'open', now(), 'someone')");
            await insert.ExecuteNonQueryAsync();
        }

        var output = new StringWriter();
        var exit = await RunAsync(filled.Directory, target, output);

        Assert.Equal(1, exit);
        Assert.Contains("already holds hub data that did not come from this copy (shelters: 1 rows)", output.ToString(), StringComparison.Ordinal);
        var rows = await TargetRowsAsync(target);
        Assert.Equal(1, rows["shelters"]);
        Assert.Equal(0, rows["residents"]);
    }

    [StoreFact]
    public async Task MigrateStore_ResumedAfterTheSqliteHubRanAgain_RefusesInsteadOfMixingTwoStates()
    {
        var directory = HubFactory.NewDataDirectory();
        try
        {
            using (var hub = new HubFactory(directory))
            {
                await hub.WaitReadyAsync();
                using var client = hub.CreateClient();
                for (var i = 0; i < 5; i++)
                {
                    await Api.RegisterAsync(client, 39.31, 140.55);
                }
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var target = await PostgresServer.NewDatabaseAsync();
            var interrupted = new StringWriter();
            Assert.True(await RunAsync(directory, target, interrupted, batchSize: 2, stopWhen: (table, rows) => table == "residents" && rows >= 4) == 1, interrupted.ToString());

            using (var hub = new HubFactory(directory))
            {
                await hub.WaitReadyAsync();
                using var admin = hub.Admin();
                // Only residents the copy has already passed are affected: a deletion behind the copy's position.
                var first = (await hub.CountAsync("SELECT count(*) FROM residents"));
                Assert.Equal(5, first);
                await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, "alerthub.db")};Pooling=False");
                await sqlite.OpenAsync();
                await using var delete = sqlite.CreateCommand();
                delete.CommandText = "DELETE FROM residents WHERE rowid = (SELECT MIN(rowid) FROM residents)";
                await delete.ExecuteNonQueryAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var output = new StringWriter();
            var exit = await RunAsync(directory, target, output, batchSize: 2);
            Assert.True(exit == 1 && output.ToString().Contains("changed since this copy began", StringComparison.Ordinal), output.ToString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs the command as <c>dotnet run -- migrate-store --to …</c> would, with the hub's data directory as configuration.</summary>
    private static async Task<int> RunAsync(string directory, string target, TextWriter output, int batchSize = 5000, Func<string, long, bool>? stopWhen = null)
    {
        string[] args = ["migrate-store", "--to", target, $"--Storage:DataDirectory={directory}"];
        var builder = WebApplication.CreateBuilder(args);
        using var stop = new CancellationTokenSource();
        return await MigrateStoreCommand.RunAsync(builder, args, output, batchSize, (table, rows) =>
        {
            if (stopWhen?.Invoke(table, rows) == true)
            {
                stop.Cancel();
            }
        }, stop.Token);
    }

    private static async Task<Dictionary<string, long>> TargetRowsAsync(string target)
    {
        await using var pg = new NpgsqlConnection(target);
        await pg.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = new NpgsqlCommand(
            $"SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations', '{StoreCopy.ProgressTable}')", pg))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var rows = new Dictionary<string, long>();
        foreach (var table in tables)
        {
            rows[table] = await ScalarAsync(pg, $"SELECT count(*) FROM {table}");
        }

        return rows;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection pg, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, pg);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<FilledHub> FillAsync()
    {
        var directory = HubFactory.NewDataDirectory();
        await using var receiver = await WebhookReceiver.StartAsync();
        string cameraId;
        Dictionary<string, JsonNode> answers;
        var counts = new Dictionary<string, long>();
        using (var hub = new HubFactory(directory))
        {
            await hub.WaitReadyAsync();
            using var client = hub.CreateClient();
            using var admin = hub.Admin();
            const string secret = "s3cret-for-webhook-0001";
            var a = await Api.RegisterAsync(client, 39.30, 140.55, ["elderly"], [new { channel = "webhook", address = receiver.Url("a", secret), secret }], "en");
            await Api.RegisterAsync(client, 39.35, 140.55, ["care-needed"], [new { channel = "webhook", address = receiver.Url("b", secret), secret }]);

            // 300 residents far from the alerts' areas: enough rows that small batches interrupt the copy inside a table.
            var ndjson = new StringBuilder();
            for (var i = 0; i < 300; i++)
            {
                ndjson.Append(CultureInfo.InvariantCulture,
                    $"{{\"externalId\":\"住民-{i}\",\"attributes\":{{\"householdTags\":[\"elderly\"],\"language\":\"ja\"}},\"places\":[{{\"label\":\"自宅\",\"lat\":{39.0 + i * 0.0001:R},\"lon\":140.0}}],\"endpoints\":[{{\"channel\":\"signalr\"}}]}}\n");
            }

            var imported = await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"));
            Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());

            var zone = await Api.AddAreaAsync(admin, "浸水想定区域", Api.Square(39.30, 140.55, 0.02));
            var bigger = await Api.AddAreaAsync(admin, "拡大区域", Api.Square(39.33, 140.55, 0.05));
            var id = (await Api.IssueAsync(admin, Api.ExerciseAlert(new { areaIds = new[] { zone } })))["id"]!.GetValue<string>();
            await receiver.WaitForAsync(r => r.Count >= 1, TimeSpan.FromSeconds(10));
            var update = await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new
            {
                area = new { areaIds = new[] { bigger } },
                severity = "Extreme",
                texts = new Dictionary<string, object> { ["ja"] = new { headline = "避難範囲拡大", body = "避難範囲を拡大しました。" } },
            });
            Assert.True(update.IsSuccessStatusCode, await update.Content.ReadAsStringAsync());
            await Api.WaitForDeliveryAsync(admin, id, v => v["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 3, TimeSpan.FromSeconds(10));
            Assert.True((await admin.PostAsync($"/api/alerts/{id}/cancel", null)).IsSuccessStatusCode);
            await receiver.WaitForAsync(r => r.Count >= 5, TimeSpan.FromSeconds(10));
            await Api.WaitForDeliveryAsync(admin, id, v => v["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 5, TimeSpan.FromSeconds(10));
            var second = (await Api.IssueAsync(admin, Api.ExerciseAlert(new { areaIds = new[] { zone } }, headline: "土砂災害警戒")))["id"]!.GetValue<string>();
            await Api.WaitForDeliveryAsync(admin, second, v => v["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(10));

            var draft = await admin.PostAsJsonAsync("/api/alert-drafts", Api.ExerciseAlert(new { areaIds = new[] { zone } }, headline: "承認待ちの訓練"));
            Assert.True(draft.IsSuccessStatusCode, await draft.Content.ReadAsStringAsync());
            (await admin.PostAsJsonAsync("/api/shelters", new { id = "gym", name = "横手体育館", location = new { lat = 39.31, lon = 140.55 }, status = "open", capacity = 200, occupancy = 12 }))
                .EnsureSuccessStatusCode();
            (await admin.PutAsJsonAsync("/api/shelters/gym", new { status = "crowded", occupancy = 170 })).EnsureSuccessStatusCode();
            var camera = await admin.PostAsJsonAsync("/api/cameras", new
            {
                name = "横手川 蛇の崎橋", kind = "rtsp", url = "rtsp://127.0.0.1:9/a", location = new { lat = 39.31, lon = 140.56 }, river = "横手川",
                district = "横手地域", directionDegrees = 120.0, fieldOfViewDegrees = 60.0, snapshotIntervalSeconds = 60, username = "operator", password = "s3cret-Pa55",
            });
            Assert.True(camera.IsSuccessStatusCode, await camera.Content.ReadAsStringAsync());
            cameraId = (await camera.JsonAsync())["id"]!.GetValue<string>();
            (await admin.PutAsJsonAsync("/api/rules", new object[] { new { name = "quake-yuzawa", families = new[] { "JMA:VXSE53" }, minIntensity = "4", municipalities = new[] { "05207" } } }))
                .EnsureSuccessStatusCode();
            (await admin.PutAsJsonAsync("/api/compose-templates/flood-minase", new
            {
                name = "洪水（皆瀬川）", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
                texts = new Dictionary<string, object> { ["ja"] = new { headline = "皆瀬川が氾濫危険水位に到達", body = "皆瀬川が氾濫危険水位に達しました。" } },
            })).EnsureSuccessStatusCode();
            var cap = await admin.PostAsync("/api/feeds/cap", new ByteArrayContent(Encoding.UTF8.GetBytes(Cap)) { Headers = { ContentType = new("application/xml") } });
            Assert.True(cap.IsSuccessStatusCode, await cap.Content.ReadAsStringAsync());
            using (var resident = hub.CreateClient())
            {
                resident.DefaultRequestHeaders.Authorization = new("Bearer", a.Token);
                var reply = await resident.PostAsJsonAsync($"/api/residents/{a.Id}/safety",
                    new { status = "need-help", alertId = id, note = "足が悪く動けません", location = new { lat = 39.3101, lon = 140.5522 } });
                Assert.True(reply.IsSuccessStatusCode, await reply.Content.ReadAsStringAsync());
            }

            answers = await AnswersAsync(admin);
            foreach (var table in (string[])["residents", "resident_places", "resident_endpoints", "alerts", "alert_versions", "outbox_items", "outbox_receipts",
                         "outbox_counts", "outbox_members", "alert_drafts", "shelters", "cameras", "camera_credentials", "rules", "compose_templates", "audit_log",
                         "feed_documents", "feed_events", "safety_replies", "areas", "api_keys"])
            {
                counts[table] = await hub.CountAsync($"SELECT count(*) FROM {table}");
            }
        }

        // The hub is stopped: its pooled connections (this process's) are closed too, as a stopped hub process's would be.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.True(counts["outbox_receipts"] >= 6 && counts["audit_log"] > 0 && counts["feed_events"] == 1 && counts["residents"] == 302,
            string.Join(", ", counts));
        return new FilledHub(directory, answers, counts, cameraId);
    }

    /// <summary>What the API answers about everything the fill created, instants normalised to UTC microseconds (PostgreSQL's).</summary>
    private static async Task<Dictionary<string, JsonNode>> AnswersAsync(HttpClient admin)
    {
        var answers = new Dictionary<string, JsonNode>();
        async Task<JsonNode> Get(string path)
        {
            var response = await admin.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
            return answers[path] = Normalised((await response.JsonAsync())!);
        }

        var alerts = (await Get("/api/alerts")).AsArray();
        foreach (var alert in alerts)
        {
            var view = await Get($"/api/alerts/{alert!["id"]!.GetValue<string>()}");
            Assert.NotNull(view["delivery"]);
        }

        await Get("/api/alert-drafts");
        await Get("/api/shelters");
        await Get("/api/rules");
        await Get("/api/compose-templates");
        await Get("/api/safety");
        await Get("/api/events");
        // A camera's status and last image move on their own (the camera is unreachable); what the registry holds does not.
        var cameras = (await Get("/api/cameras"))["cameras"]!.AsArray();
        answers["/api/cameras"] = new JsonArray([.. cameras.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c!["id"]!.DeepClone(), ["name"] = c["name"]!.DeepClone(), ["kind"] = c["kind"]!.DeepClone(), ["url"] = c["url"]?.DeepClone(),
            ["location"] = c["location"]?.DeepClone(), ["river"] = c["river"]?.DeepClone(), ["district"] = c["district"]?.DeepClone(),
            ["hasCredentials"] = c["hasCredentials"]?.DeepClone(),
        })]);
        return answers;
    }

    private static JsonNode Normalised(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                // Keys in order: an alert's document is jsonb on PostgreSQL, which orders keys its own way (as it does for
                // alerts issued there). deliveryTimings are the running process's measurements, not stored.
                var sorted = new JsonObject();
                foreach (var (key, value) in o.Where(p => p.Key != "deliveryTimings").OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
                {
                    sorted[key] = value is null ? null : Normalised(value.DeepClone());
                }

                return sorted;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    a[i] = a[i] is { } item ? Normalised(item.DeepClone()) : null;
                }

                return a;
            case JsonValue v when v.TryGetValue<string>(out var s) && IsoInstant().IsMatch(s)
                && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant):
                // PostgreSQL keeps microseconds (SQLite's text keeps the 100 ns ticks .NET writes); the instant is otherwise the same.
                var utc = instant.ToUniversalTime();
                return JsonValue.Create(utc.AddTicks(-(utc.Ticks % 10)).ToString("O", CultureInfo.InvariantCulture));
            default:
                return node;
        }
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")]
    private static partial Regex IsoInstant();

    private const string Cap = """
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>migrate-store-test-0001</identifier>
          <sender>bousai@example.org</sender>
          <sent>2026-05-01T10:00:00+09:00</sent>
          <status>Actual</status>
          <msgType>Alert</msgType>
          <scope>Public</scope>
          <info>
            <language>ja-JP</language>
            <category>Met</category>
            <event>大雨</event>
            <urgency>Expected</urgency>
            <severity>Moderate</severity>
            <certainty>Likely</certainty>
            <headline>大雨注意報（横手市）</headline>
            <area><areaDesc>横手市</areaDesc></area>
          </info>
        </alert>
        """;
}
