using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>A test that needs pg_auto_failover: skips locally without it (with the apt line), never under CI.</summary>
internal sealed class PgAutoFailoverFactAttribute : FactAttribute
{
    public PgAutoFailoverFactAttribute()
    {
        Skip = PgAutoFailoverCluster.SkipReason;
    }
}

/// <summary>
/// One pg_auto_failover formation (monitor, primary, synchronous standby) for the tests of this class. Each test gets a
/// database of its own and starts from a formation with a primary and a standby, whatever the test before it killed.
/// </summary>
public sealed class FailoverFormation : IAsyncLifetime
{
    private PgAutoFailoverCluster? _cluster;

    internal PgAutoFailoverCluster Cluster => _cluster ?? throw new InvalidOperationException("pg_auto_failover is not available here");

    public async Task InitializeAsync()
    {
        if (PgAutoFailoverCluster.SkipReason is null)
        {
            // fsync off: a SIGKILL loses nothing the kernel has (only a power cut would), and the test runs faster.
            _cluster = await PgAutoFailoverCluster.StartAsync(settings: ["fsync = off", "max_connections = 300"]);
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A primary and a standby again: a node a previous test killed rejoins as the standby.</summary>
    internal async Task ReadyAsync()
    {
        var primary = await Cluster.WaitForPrimaryAsync(notNode: null, TimeSpan.FromSeconds(30));
        var other = PgAutoFailoverCluster.NodeNames.Single(n => n != primary);
        if (await Cluster.StateOfAsync(other) != "secondary")
        {
            await Cluster.RestartNodeAsync(other, TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>A new empty database on the formation (replicated to the standby); the hub's connection string for it.</summary>
    internal async Task<string> NewDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        // Unpooled: a pooled session may still be on the primary an earlier test killed.
        await using (var admin = new NpgsqlConnection(Cluster.ConnectionStringFor("postgres") + ";Pooling=false"))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return Cluster.ConnectionStringFor(name);
    }
}

/// <summary>
/// The hub on a real pg_auto_failover formation on loopback: the PostgreSQL primary's machine dies (its keeper and
/// postgres SIGKILLed) and the monitor promotes the synchronous standby within seconds. Nobody misses an alert, nothing
/// acknowledged is lost, a request during the outage is answered 503 with Retry-After (never 500, never half-stored), and
/// the hub carries on through a second failover once the old primary is back as the standby.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class DatabaseFailoverTests(FailoverFormation formation, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<FailoverFormation>
{
    private const int Concurrency = 32;

    private static readonly object Inside = new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } };

    /// <summary>
    /// 20,000 recipients, as in the issue, on two hub nodes; the primary dies once 30 % have been reached.
    /// </summary>
    [PgAutoFailoverFact]
    public async Task KillPrimary_MidFanOut_NobodyMissedNobodyOutside_ResendsKeepTheirDeliveryId_AcknowledgedRowsSurvive()
    {
        const int residents = 20_000;
        const int outside = 200;
        await formation.ReadyAsync();
        var connectionString = await formation.NewDatabaseAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var a = StartHub(connectionString, "node-a");
        await a.WaitReadyAsync();
        using var b = StartHub(connectionString, "node-b");
        await b.WaitReadyAsync();
        using var admin = a.Admin();
        var watch = Stopwatch.StartNew();
        await ImportAsync(admin, receiver, "in", residents, lat: 39.3, lon: 140.55);
        await ImportAsync(admin, receiver, "out", outside, lat: 39.1, lon: 140.3);
        output.WriteLine($"imported {residents + outside} residents in {watch.Elapsed.TotalSeconds:0.0} s");

        var fanOut = Stopwatch.StartNew();
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Inside));
        var id = issued["id"]!.GetValue<string>();
        Assert.Equal(residents, issued["recipients"]!.GetValue<int>());
        await receiver.WaitForAsync(r => Of(r, id).Count >= residents * 3 / 10, TimeSpan.FromSeconds(120));

        // What the store has acknowledged just before the machine dies: synchronously replicated, so it must survive.
        var versionsBefore = await ListAsync(connectionString, "SELECT alert_id || '/' || version FROM alert_versions");
        var receiptsBefore = await ListAsync(connectionString, "SELECT id::text FROM outbox_receipts");
        var killed = await formation.Cluster.KillPrimaryAsync();
        var killedAt = fanOut.Elapsed;
        var reachedAtKill = Of(receiver.Received, id).Select(r => r.Path).Distinct().Count();
        var promoted = await formation.Cluster.WaitForPrimaryAsync(killed, TimeSpan.FromSeconds(30));
        var promotedAfter = fanOut.Elapsed - killedAt;

        await receiver.WaitForAsync(r => Of(r, id).Select(x => x.Path).Distinct().Count() >= residents, TimeSpan.FromSeconds(120));
        var doneAfter = fanOut.Elapsed;
        await Eventually.UntilAsync(async () => await CountAsync(connectionString, $"SELECT coalesce(sum(recorded), 0) FROM outbox_items WHERE alert_id = '{id}'") >= residents,
            TimeSpan.FromSeconds(60), "every outcome recorded");
        await Task.Delay(1000);

        var received = Of(receiver.Received, id);
        var resent = received.GroupBy(r => r.Path).Where(g => g.Count() > 1).ToList();
        output.WriteLine($"{killed} killed at {killedAt.TotalSeconds:0.0} s with {reachedAtKill} of {residents} reached; {promoted} took writes " +
            $"{promotedAfter.TotalSeconds:0.0} s later; all reached at {doneAfter.TotalSeconds:0.0} s; re-sent {resent.Sum(g => g.Count() - 1)}");
        Assert.Equal(residents, received.Select(r => r.Path).Distinct().Count());
        Assert.DoesNotContain(receiver.Received, r => r.Path.Contains("/out", StringComparison.Ordinal));
        Assert.All(resent, g => Assert.Single(g.Select(r => r.DeliveryId).Distinct()));
        // Only work in flight is sent again: a send slot is given back once its outcome is recorded, so each node has at most
        // its channel's concurrency sent but unrecorded. (Both nodes fell silent during the outage; neither may take the
        // other's claimed chunks over for that.)
        var copies = resent.Sum(g => g.Count() - 1);
        Assert.True(copies <= 2 * Concurrency, $"{copies} messages went out twice; the two nodes had at most {2 * Concurrency} in flight");
        Assert.All(received, r => Assert.True(r.SignatureValid));
        var versionsAfter = (await ListAsync(connectionString, "SELECT alert_id || '/' || version FROM alert_versions")).ToHashSet();
        var receiptsAfter = (await ListAsync(connectionString, "SELECT id::text FROM outbox_receipts")).ToHashSet();
        Assert.Contains($"{id}/1", versionsBefore);
        Assert.NotEmpty(receiptsBefore);
        Assert.All(versionsBefore, v => Assert.Contains(v, versionsAfter));
        var lost = receiptsBefore.Count(r => !receiptsAfter.Contains(r));
        Assert.True(lost == 0, $"{lost} of the {receiptsBefore.Count} delivery records acknowledged before the kill are gone");
    }

    [PgAutoFailoverFact]
    public async Task AlertIssuedDuringFailover_Is503WithRetryAfterOrAcceptedAndDelivered_NeverHalfStored()
    {
        const int residents = 50;
        await formation.ReadyAsync();
        var connectionString = await formation.NewDatabaseAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var errors = new ErrorLog();
        using var hub = StartHub(connectionString, "node-a", errors);
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await ImportAsync(admin, receiver, "in", residents, lat: 39.3, lon: 140.55);
        await Api.IssueAsync(admin, Api.ExerciseAlert(Inside));

        var killed = await formation.Cluster.KillPrimaryAsync();
        var promotion = formation.Cluster.WaitForPrimaryAsync(killed, TimeSpan.FromSeconds(30));
        var accepted = new List<string>();
        var statuses = new List<int>();
        var acceptedSincePromotion = 0;
        var watch = Stopwatch.StartNew();
        while (acceptedSincePromotion < 3)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"no alert accepted 60 s after the kill: {string.Join(',', statuses)}");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var response = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Inside, headline: $"障害中 {statuses.Count}"), timeout.Token);
            statuses.Add((int)response.StatusCode);
            if ((int)response.StatusCode == 503)
            {
                await response.AssertProblemAsync(503, "store.unavailable");
                Assert.True(response.Headers.RetryAfter is not null, "503 without Retry-After");
            }
            else
            {
                Assert.True((int)response.StatusCode == 202, $"answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                accepted.Add((await response.JsonAsync())["id"]!.GetValue<string>());
                acceptedSincePromotion += promotion.IsCompleted ? 1 : 0;
            }

            await Task.Delay(200);
        }

        output.WriteLine($"{killed} killed; {await promotion} promoted; answers in order: {string.Join(',', statuses)}");
        Assert.Contains(503, statuses);

        // Every accepted alert reaches everybody; every alert in the store (one whose commit went through while its answer was
        // lost included) has its whole outbox, so nothing stored is left unsent.
        await receiver.WaitForAsync(r => accepted.All(id => Of(r, id).Select(x => x.Path).Distinct().Count() == residents), TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync(async () => await CountAsync(connectionString, "SELECT count(*) FROM alert_versions WHERE NOT queued_complete") == 0,
            TimeSpan.FromSeconds(30), "every version queued in full");
        Assert.Equal(0, await CountAsync(connectionString, """
            SELECT count(*) FROM alert_versions v
            WHERE v.recipients <> coalesce((SELECT sum(i.size) FROM outbox_items i WHERE i.alert_id = v.alert_id AND i.version = v.version), 0)
            """));
        Assert.Equal(0, await CountAsync(connectionString, "SELECT count(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM alert_versions v WHERE v.alert_id = a.id AND v.version = a.current_version)"));
        // A failover is expected and waited out: warnings, not a wall of error stack traces for the operator at 3 a.m.
        Assert.True(errors.Entries.IsEmpty, $"{errors.Entries.Count} errors logged during the failover, e.g. {string.Join(" | ", errors.Entries.Take(3))}");
    }

    [PgAutoFailoverFact]
    public async Task OldPrimaryRejoinsAsStandby_ASecondFailoverWorks_TheHubCarriesOn()
    {
        const int residents = 20;
        await formation.ReadyAsync();
        var connectionString = await formation.NewDatabaseAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var a = StartHub(connectionString, "node-a");
        await a.WaitReadyAsync();
        using var b = StartHub(connectionString, "node-b");
        await b.WaitReadyAsync();
        using var adminA = a.Admin();
        using var adminB = b.Admin();
        await ImportAsync(adminA, receiver, "in", residents, lat: 39.3, lon: 140.55);
        var cluster = formation.Cluster;

        var first = await cluster.KillPrimaryAsync();
        var second = await cluster.WaitForPrimaryAsync(first, TimeSpan.FromSeconds(30));
        await IssueAndDeliverAsync(adminB, receiver, residents);
        await ListenersOnPrimaryAsync(connectionString, 2);

        await cluster.RestartNodeAsync(first, TimeSpan.FromSeconds(60));
        Assert.Equal("secondary", await cluster.StateOfAsync(first));
        Assert.Equal(second, await cluster.PrimaryAsync());

        Assert.Equal(second, await cluster.KillPrimaryAsync());
        Assert.Equal(first, await cluster.WaitForPrimaryAsync(second, TimeSpan.FromSeconds(30)));
        await IssueAndDeliverAsync(adminA, receiver, residents);
        await IssueAndDeliverAsync(adminB, receiver, residents);
        await ListenersOnPrimaryAsync(connectionString, 2);
        using var anonymous = a.CreateClient();
        await Eventually.UntilAsync(async () => (await (await anonymous.GetAsync("/health")).JsonAsync())["degraded"]?["store"] is null,
            TimeSpan.FromSeconds(15), "/health clear once the store takes writes again");
    }

    /// <summary>
    /// A node (re)started while the primary is gone, on a store it has never migrated: it waits the promotion out instead of
    /// exiting, then migrates, serves, and delivers.
    /// </summary>
    [PgAutoFailoverFact]
    public async Task HubStartingDuringFailover_WaitsForTheNewPrimary_ThenMigratesAndServes()
    {
        const int residents = 5;
        await formation.ReadyAsync();
        var connectionString = await formation.NewDatabaseAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var killed = await formation.Cluster.KillPrimaryAsync();
        var watch = Stopwatch.StartNew();

        using var hub = StartHub(connectionString, "node-a");
        await hub.WaitReadyAsync();
        var ready = watch.Elapsed;
        Assert.NotEqual(killed, await formation.Cluster.PrimaryAsync());
        using var admin = hub.Admin();
        await ImportAsync(admin, receiver, "in", residents, lat: 39.3, lon: 140.55);
        await IssueAndDeliverAsync(admin, receiver, residents);
        output.WriteLine($"{killed} killed; the hub started on it was ready {ready.TotalSeconds:0.0} s later");
    }

    /// <summary>Issues an alert (again while the store answers 503) and waits until every resident has it.</summary>
    private async Task IssueAndDeliverAsync(HttpClient admin, WebhookReceiver receiver, int residents)
    {
        var watch = Stopwatch.StartNew();
        string? id = null;
        var statuses = new List<int>();
        while (id is null)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"no alert accepted within 30 s: {string.Join(',', statuses)}");
            var response = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Inside));
            statuses.Add((int)response.StatusCode);
            Assert.Contains((int)response.StatusCode, new[] { 202, 503 });
            if (response.IsSuccessStatusCode)
            {
                id = (await response.JsonAsync())["id"]!.GetValue<string>();
            }
            else
            {
                await Task.Delay(250);
            }
        }

        await receiver.WaitForAsync(r => Of(r, id).Select(x => x.Path).Distinct().Count() == residents, TimeSpan.FromSeconds(30));
        output.WriteLine($"alert {id}: answers {string.Join(',', statuses)}; everybody reached {watch.Elapsed.TotalSeconds:0.0} s after the first try");
    }

    /// <summary>Both hub nodes LISTEN on the current primary again (PostgreSQL delivers notifications only to its own sessions).</summary>
    private static async Task ListenersOnPrimaryAsync(string connectionString, int expected)
    {
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                await using var pg = new NpgsqlConnection(connectionString);
                await pg.OpenAsync();
                await using var count = new NpgsqlCommand(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'alerthub-listener' AND datname = current_database()", pg);
                return (long)(await count.ExecuteScalarAsync())! == expected;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15), $"{expected} hub nodes listening on the new primary");
    }

    private static HubFactory StartHub(string connectionString, string name, ErrorLog? errors = null) => new(settings: new()
    {
        ["Storage:Engine"] = "postgres",
        ["ConnectionStrings:AlertHub"] = connectionString,
        ["Cluster:NodeName"] = name,
        ["Channels:Webhook:MaxConcurrency"] = $"{Concurrency}",
        ["Channels:Webhook:MaxBatchSize"] = "256",
    }, services: errors is null ? null : s => s.AddSingleton<ILoggerProvider>(errors));

    /// <summary>Every entry the hub logs at Error or above.</summary>
    private sealed class ErrorLog : ILoggerProvider, ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Entries.Enqueue($"{formatter(state, exception)} ({exception?.GetType().Name}: {exception?.Message})");
            }
        }

        public void Dispose()
        {
        }
    }

    private static List<ReceivedWebhook> Of(IEnumerable<ReceivedWebhook> received, string alertId) =>
        received.Where(r => r.Json["alert"]?["alertId"]?.GetValue<string>() == alertId).ToList();

    private static async Task ImportAsync(HttpClient admin, WebhookReceiver receiver, string prefix, int count, double lat, double lon)
    {
        const int chunk = 5000;
        for (var start = 0; start < count; start += chunk)
        {
            var ndjson = new StringBuilder();
            for (var i = start; i < Math.Min(count, start + chunk); i++)
            {
                var secret = $"failover-secret-{i:D6}";
                ndjson.Append("{\"places\":[{\"lat\":").Append(lat.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Append(",\"lon\":").Append(lon.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Append("}],\"endpoints\":[{\"channel\":\"webhook\",\"address\":\"").Append(receiver.Url($"{prefix}{i}", secret))
                    .Append("\",\"secret\":\"").Append(secret).Append("\"}]}\n");
            }

            var import = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
            Assert.Equal(Math.Min(chunk, count - start), import["accepted"]!.GetValue<int>());
        }
    }

    private static async Task<long> CountAsync(string connectionString, string sql) =>
        long.Parse((await ListAsync(connectionString, $"SELECT ({sql})::text")).Single(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// One column of a query, read through the multi-host connection string, unpooled (a pooled session may be on the old
    /// primary) and retried while the primary changes.
    /// </summary>
    private static async Task<List<string>> ListAsync(string connectionString, string sql)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var pg = new NpgsqlConnection(connectionString + ";Pooling=false");
                await pg.OpenAsync();
                await using var query = new NpgsqlCommand(sql, pg);
                await using var reader = await query.ExecuteReaderAsync();
                var values = new List<string>();
                while (await reader.ReadAsync())
                {
                    values.Add(reader.GetString(0));
                }

                return values;
            }
            catch (NpgsqlException) when (attempt < 30)
            {
                await Task.Delay(500);
            }
        }
    }
}
