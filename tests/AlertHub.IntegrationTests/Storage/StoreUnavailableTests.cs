using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// While the database fails over, a request that needs it is answered 503 <c>store.unavailable</c> with Retry-After, never
/// 500, and the hub serves again once the new primary takes writes. The failover is played on the test's own database the
/// way a promotion looks to a client (../shared/reference/cluster.md): every session is cut, and for a while new sessions
/// can read but not write (SQLSTATE 25006, as on a standby not yet promoted).
/// </summary>
public sealed class StoreUnavailableTests
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 500 } } };

    [PostgresFact]
    public Task Failover_WritesAre503WithRetryAfter_ReadsAreServed_AndWritesWorkAgainAfterwards() => TestEngine.RunOnPostgresAsync(async () =>
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var connectionString = TestEngine.ConnectionStringFor(hub.DataDirectory);

        await PromotingAsync(connectionString, readOnly: true);
        // The first request meets a cut pooled connection, the second a read-only session: both 503, never 500.
        var during = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Here));
        var problem = await during.AssertProblemAsync(503, "store.unavailable");
        Assert.Equal("5", during.Headers.GetValues("Retry-After").Single());
        Assert.NotNull(problem["detail"]);
        var again = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Here));
        await again.AssertProblemAsync(503, "store.unavailable");

        // A standby answers reads: the board is still there.
        var board = await admin.GetAsync("/api/alerts");
        Assert.Equal(200, (int)board.StatusCode);
        Assert.Single((await board.JsonAsync()).AsArray());

        // /health says so, and stays 200: every node meets the same failover, and reads are still served.
        using var anonymous = hub.CreateClient();
        var failing = await Eventually.UntilAsync(async () => await (await anonymous.GetAsync("/health")).JsonAsync(),
            h => h["degraded"]?["store"] is not null, TimeSpan.FromSeconds(10), "/health reporting the store failing over");
        Assert.Equal("ready", failing["status"]!.GetValue<string>());
        Assert.StartsWith("failing over", failing["degraded"]!["store"]!.GetValue<string>(), StringComparison.Ordinal);

        await PromotingAsync(connectionString, readOnly: false);
        var statuses = new List<int>();
        await Eventually.UntilAsync(async () =>
        {
            var after = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Here));
            statuses.Add((int)after.StatusCode);
            return after.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(15), "an alert issued once the new primary takes writes");

        Assert.All(statuses, s => Assert.Contains(s, new[] { 202, 503 }));
        await Eventually.UntilAsync(async () => await (await anonymous.GetAsync("/health")).JsonAsync(),
            h => h["degraded"]?["store"] is null, TimeSpan.FromSeconds(10), "/health clear once the store takes writes");
        Assert.Equal(2, (await (await admin.GetAsync("/api/alerts")).JsonAsync()).AsArray().Count);
    });

    /// <summary>Cuts every session of the hub's database and makes new ones read-only (or writable again).</summary>
    private static async Task PromotingAsync(string connectionString, bool readOnly)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using (var set = new NpgsqlCommand(
            readOnly ? $"ALTER DATABASE \"{database}\" SET default_transaction_read_only = on" : $"ALTER DATABASE \"{database}\" RESET default_transaction_read_only", admin))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var cut = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", admin);
        cut.Parameters.AddWithValue("db", database);
        await cut.ExecuteScalarAsync();
    }

    [PostgresFact]
    public Task Failover_MidFanOut_OutcomesWaitForTheNewPrimary_NobodyIsSentTwiceOrLeftClaimed() => TestEngine.RunOnPostgresAsync(async () =>
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // Slow receivers keep the fan-out going through the failover. A claim lease of 8 s: an outcome the hub failed to record
        // would be sent again 8 s later, well inside this test.
        receiver.Delay = TimeSpan.FromMilliseconds(40);
        using var hub = new HubFactory(settings: new() { ["Delivery:ClaimLease"] = "00:00:08", ["Delivery:LeaseSweepInterval"] = "00:00:01" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await Features.Alerts.QueueingInPartsTests.ImportAsync(admin, receiver, 600);
        var connectionString = TestEngine.ConnectionStringFor(hub.DataDirectory);

        var id = (await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } })))["id"]!
            .GetValue<string>();
        await receiver.WaitForAsync(r => r.Count >= 100, TimeSpan.FromSeconds(30));
        await PromotingAsync(connectionString, readOnly: true);
        await Task.Delay(2_500);
        await PromotingAsync(connectionString, readOnly: false);

        await receiver.WaitForAsync(r => r.Select(x => x.Path).Distinct().Count() >= 600, TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync(async () => await hub.CountAsync($"SELECT coalesce(sum(recorded), 0) FROM outbox_items WHERE alert_id = '{id}'") >= 600,
            TimeSpan.FromSeconds(30), "every outcome recorded");
        // Past the claim lease: a dropped outcome would have been sent again by now.
        await Task.Delay(10_000);

        Assert.Equal(600, receiver.Received.Select(r => r.Path).Distinct().Count());
        Assert.Equal(600, receiver.Received.Count);
        Assert.Equal(0, await hub.CountAsync($"SELECT count(*) FROM outbox_items WHERE alert_id = '{id}' AND state = 7"));
    });
}
