using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary><c>GET /api/cluster</c>: staff see which nodes share the store and which are alive.</summary>
public sealed class ClusterApiTests
{
    [Fact]
    public async Task Cluster_OnTheEmbeddedStore_IsThisOneNode_AndOnlyForStaff()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var anonymous = hub.CreateClient();
        Assert.Equal(401, (int)(await anonymous.GetAsync("/api/cluster")).StatusCode);

        using var viewer = hub.WithKey(await hub.CreateKeyAsync("viewer"));
        var cluster = (await viewer.GetFromJsonAsync<JsonObject>("/api/cluster"))!;

        Assert.False(cluster["shared"]!.GetValue<bool>());
        var node = Assert.Single(cluster["nodes"]!.AsArray())!;
        Assert.Equal(cluster["thisNode"]!.GetValue<string>(), node["id"]!.GetValue<string>());
        Assert.Equal("live", node["state"]!.GetValue<string>());
        Assert.True(node["isThisNode"]!.GetValue<bool>());
    }

    [PostgresFact]
    public async Task Cluster_OnASharedStore_EveryNodeSeesEveryNode_AndANodeThatStopsHasLeft()
    {
        using var cluster = await ClusterHubs.StartAsync(3);
        using var a = cluster[0].Admin();
        await WaitAsync(async () => (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!["liveNodes"]!.GetValue<int>() == 3);
        var seen = (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!;
        Assert.True(seen["shared"]!.GetValue<bool>());
        Assert.Equal(["node-a", "node-b", "node-c"], seen["nodes"]!.AsArray().Select(n => n!["name"]!.GetValue<string>()).Order());
        Assert.Single(seen["nodes"]!.AsArray(), n => n!["isThisNode"]!.GetValue<bool>() && n["name"]!.GetValue<string>() == "node-a");

        cluster[2].Dispose();
        await WaitAsync(async () => (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!["nodes"]!.AsArray()
            .Any(n => n!["name"]!.GetValue<string>() == "node-c" && n["state"]!.GetValue<string>() == "left"));
        Assert.Equal(2, (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!["liveNodes"]!.GetValue<int>());
    }

    [PostgresFact]
    public async Task Cluster_ResidentIndexLag_IsZeroOnceEveryNodeHasAppliedTheChanges_AndCountsWhatANodeHasNot()
    {
        using var cluster = await ClusterHubs.StartAsync(2);
        using var a = cluster[0].Admin();
        using var onB = cluster[1].CreateClient();
        for (var i = 0; i < 5; i++)
        {
            await Api.RegisterAsync(onB, 39.31, 140.55);
        }

        // Both nodes apply the five changes and report them with their next heartbeat (1 s).
        await WaitAsync(async () => Lags(await a.GetFromJsonAsync<JsonObject>("/api/cluster")) is { Count: 2 } lags && lags.All(l => l == 0));

        // A node that reported an older change than the store's latest is shown that many behind.
        var latest = await cluster[0].CountAsync("SELECT COALESCE(MAX(change_seq), 0) FROM residents");
        Assert.True(latest >= 5, $"the store's latest resident change is {latest}");
        await using (var pg = new Npgsql.NpgsqlConnection(cluster.ConnectionString))
        {
            await pg.OpenAsync();
            await using var behind = new Npgsql.NpgsqlCommand(
                "INSERT INTO cluster_nodes(id, name, started_at, heartbeat_at, index_applied) VALUES ('node-z/1/x', 'node-z', now(), now() + interval '1 hour', @applied)", pg);
            behind.Parameters.AddWithValue("applied", latest - 3);
            await behind.ExecuteNonQueryAsync();
        }

        var seen = (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!;
        var z = seen["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "node-z")!;
        Assert.Equal(3, z["indexLag"]!.GetValue<long>());

        static List<long> Lags(JsonObject? c) => [.. c!["nodes"]!.AsArray()
            .Where(n => n!["state"]!.GetValue<string>() == "live" && n["indexLag"] is not null).Select(n => n!["indexLag"]!.GetValue<long>())];
    }

    [PostgresFact]
    public async Task Cluster_DeliveredPerNode_AddsUpToWhatWasDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var cluster = await ClusterHubs.StartAsync(2, new Dictionary<string, string?> { ["Channels:Webhook:MaxBatchSize"] = "5" });
        using var a = cluster[0].Admin();
        for (var i = 0; i < 20; i++)
        {
            var secret = $"spread-secret-{i:D4}-0123456789";
            await Api.RegisterAsync(a, 39.31, 140.55, endpoints: [new { channel = "webhook", address = receiver.Url($"spread{i}", secret), secret }]);
        }

        await Api.IssueAsync(a, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 1000 } } }));
        await receiver.WaitForAsync(r => r.Count >= 20, TimeSpan.FromSeconds(30));

        // Counted as each node records, reported with its next heartbeat.
        await WaitAsync(async () => (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!["nodes"]!.AsArray()
            .Sum(n => n!["delivered"]!.GetValue<long>()) == 20);
        Assert.Equal(20, receiver.Received.Count);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.True(await condition(), "the cluster did not reach the expected state within 10 s");
    }
}

/// <summary>A node whose delivery work holds every pooled connection still heartbeats: the others must not declare it dead.</summary>
public sealed class HeartbeatIsolationTests
{
    [PostgresFact]
    public async Task Heartbeat_WhileEveryPooledConnectionIsTaken_StillBeatsOnItsOwnConnection()
    {
        var connectionString = await AlertHub.IntegrationTests.Storage.PostgresServer.NewDatabaseAsync();
        using var hub = new HubFactory(settings: new Dictionary<string, string?>
        {
            ["Storage:Engine"] = "postgres",
            ["ConnectionStrings:AlertHub"] = connectionString + ";Maximum Pool Size=4",
            ["Cluster:NodeName"] = "node-busy",
        });
        await hub.WaitReadyAsync();
        var pool = hub.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        var held = new List<Npgsql.NpgsqlConnection>();
        try
        {
            // Take the whole pool (whatever the node's own workers leave), as a node flat out on a fan-out can: until a
            // further connection cannot be had within 2 s.
            var exhausted = false;
            while (!exhausted && held.Count < 8)
            {
                using var grab = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    held.Add(await pool.OpenConnectionAsync(grab.Token));
                }
                catch (OperationCanceledException)
                {
                    exhausted = true;
                }
            }

            Assert.True(exhausted && held.Count > 0, $"the pool of 4 was not exhausted ({held.Count} taken)");

            await using var watcher = new Npgsql.NpgsqlConnection(connectionString);
            await watcher.OpenAsync();
            var beats = new HashSet<DateTime>();
            for (var i = 0; i < 16; i++)
            {
                await using var read = new Npgsql.NpgsqlCommand("SELECT heartbeat_at FROM cluster_nodes WHERE name = 'node-busy' AND left_at IS NULL", watcher);
                beats.Add((DateTime)(await read.ExecuteScalarAsync())!);
                await Task.Delay(250);
            }

            // 4 s with the pool held: the 1 s heartbeat moved at least twice (a starved one would not have moved at all).
            Assert.True(beats.Count >= 3, $"the heartbeat moved {beats.Count - 1} times in 4 s while the pool was taken");
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
