using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Scenarios;
using AlertHub.Server.Features.Delivery.Channels.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// Two nodes on one PostgreSQL database and one real redis-server (<c>Cluster:Redis</c>): what a resident or a staff
/// member connected to one node gets from the other, and limits that hold for the cluster, not per node.
/// </summary>
public sealed class ClusterRedisTests
{
    private static readonly object Circle = new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 500 } } };

    /// <summary>
    /// The staff dashboards hear of a new alert through the SignalR backplane, after the alert is committed. With Redis gone
    /// that send failed, and the request that had issued the alert answered 500: the caller, told it failed, would issue it
    /// again. A notification that cannot go out now is logged, not an error of the issue.
    /// </summary>
    [RedisFact]
    public async Task RedisGone_IssuingAnAlert_Is202AndStoredOnce_TheStaffNoticeIsWhatIsLost()
    {
        var redis = await AlertHub.Tests.Shared.Servers.RedisServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:Redis"] = redis.Configuration,
            ["Cluster:RedisChannelPrefix"] = "t" + Guid.NewGuid().ToString("N")[..12],
        };
        using var cluster = await ClusterHubs.StartAsync(2, settings);
        using var a = cluster[0].Admin();
        await Api.RegisterAsync(a, 39.3114, 140.5535);
        await redis.DisposeAsync();

        for (var i = 0; i < 3; i++)
        {
            var issued = await a.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Circle));
            Assert.Equal(202, (int)issued.StatusCode);
        }

        Assert.Equal(3, await cluster[0].CountAsync("SELECT count(*) FROM alerts"));
        Assert.Equal(3, await cluster[0].CountAsync("SELECT count(*) FROM alert_versions"));
    }

    [RedisFact]
    public async Task AlertIssuedOnA_ReachesASignalRResidentConnectedToB_ExactlyOnce_RecordedDelivered()
    {
        // Workers poll only every 30 s: node A's own wake-up on issue is what sends, so A must know the resident is on B. B
        // claims no SignalR work (it is woken too, and would send to its own connection directly).
        using var cluster = await ClusterHubs.StartAsync(2, await ClusterRedisSettings.ForAsync(new() { ["Delivery:PollInterval"] = "00:00:30" }),
            node => node == 1 ? ClaimsWithheld.On(SignalRChannel.ChannelName) : null);
        using var a = cluster[0].Admin();
        var resident = await Api.RegisterAsync(a, 39.3114, 140.5535);
        var received = new List<JsonElementMessage>();
        await using var onB = await cluster[1].ConnectResidentAsync(resident, received);

        var id = (await Api.IssueAsync(a, Api.ExerciseAlert(Circle)))["id"]!.GetValue<string>();

        await Api.WaitForDeliveryAsync(a, id, s => s["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(10));
        await WaitAsync(() => Count(received) >= 1, TimeSpan.FromSeconds(5));
        await Task.Delay(500);
        Assert.Equal(id, Assert.Single(Snapshot(received)).AlertId);
        Assert.Equal(1, await cluster[0].CountAsync($"SELECT count(*) FROM outbox_receipts WHERE alert_id = '{id}' AND channel = 'signalr' AND outcome = 1"));
        Assert.Equal(0, await cluster[0].CountAsync($"SELECT count(*) FROM outbox_receipts WHERE alert_id = '{id}' AND error = 'resident not connected'"));
    }

    [RedisFact]
    public async Task ResidentConnectedToB_IsConnectedAsSeenFromA_AndGoneOnceTheyLeave()
    {
        using var cluster = await ClusterHubs.StartAsync(2, await ClusterRedisSettings.ForAsync());
        using var a = cluster[0].Admin();
        var resident = await Api.RegisterAsync(a, 39.3114, 140.5535);
        var elsewhere = await Api.RegisterAsync(a, 39.3114, 140.5535);
        var presenceOnA = cluster[0].Services.GetRequiredService<ResidentConnections>();

        var onB = await cluster[1].ConnectResidentAsync(resident, []);
        Assert.Equal([resident.Id], await presenceOnA.ConnectedAsync([resident.Id, elsewhere.Id], CancellationToken.None));

        await onB.DisposeAsync();
        await WaitAsync(async () => (await presenceOnA.ConnectedAsync([resident.Id], CancellationToken.None)).Count == 0, TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// A sender asks Redis whether anybody subscribes to a resident's group before it sends (after a failover a backplane's
    /// subscriptions come back after its connection). The channel name it asks about is the backplane's own: heard while the
    /// resident is connected (to either node, asked from either), unheard before they connect and after they leave.
    /// </summary>
    [RedisFact]
    public async Task ResidentConnectedToB_TheirGroupIsListenedFor_AsTheBackplaneNamesIt_AndNotOnceTheyLeave()
    {
        using var cluster = await ClusterHubs.StartAsync(2, await ClusterRedisSettings.ForAsync());
        using var a = cluster[0].Admin();
        var resident = await Api.RegisterAsync(a, 39.3114, 140.5535);
        var never = await Api.RegisterAsync(a, 39.3114, 140.5535);
        var presenceOnA = cluster[0].Services.GetRequiredService<ResidentConnections>();
        var presenceOnB = cluster[1].Services.GetRequiredService<ResidentConnections>();
        Assert.Equal(new[] { resident.Id, never.Id }.Order(), (await presenceOnA.NotListenedForAsync([resident.Id, never.Id], CancellationToken.None)).Order());

        var onB = await cluster[1].ConnectResidentAsync(resident, []);
        Assert.Equal([never.Id], await presenceOnA.NotListenedForAsync([resident.Id, never.Id], CancellationToken.None));
        Assert.Equal([never.Id], await presenceOnB.NotListenedForAsync([resident.Id, never.Id], CancellationToken.None));

        await onB.DisposeAsync();
        await WaitAsync(async () => (await presenceOnA.NotListenedForAsync([resident.Id], CancellationToken.None)).Count == 1, TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// After a Redis failover the promoted replica holds B's presence, copied from the old primary, while B's backplane may
    /// still listen on the old one: a send through Redis then reaches nobody and would be recorded as delivered. B's stamp
    /// names the server its backplane listens on; A trusts B's presence only on that server, and asks again meanwhile.
    /// </summary>
    [RedisFact]
    public async Task ResidentOnB_WhoseStampNamesAnotherServer_IsNotSentThroughRedis_UntilBListensHere_ThenGetsItOnce()
    {
        // A long presence expiry: B's own heartbeat (every third of it) does not put the stamp right during the test. B claims
        // no SignalR work: holding the resident's connection, it would send directly and the test would not be about A.
        using var cluster = await ClusterHubs.StartAsync(2, await ClusterRedisSettings.ForAsync(new() { ["Cluster:RedisPresenceTtl"] = "00:05:00" }),
            node => node == 1 ? ClaimsWithheld.On(SignalRChannel.ChannelName) : null);
        using var a = cluster[0].Admin();
        var resident = await Api.RegisterAsync(a, 39.3114, 140.5535);
        var received = new List<JsonElementMessage>();
        await using var onB = await cluster[1].ConnectResidentAsync(resident, received);
        var presenceOnA = cluster[0].Services.GetRequiredService<ResidentConnections>();
        Assert.Equal([resident.Id], await presenceOnA.ConnectedAsync([resident.Id], CancellationToken.None));

        var redisOnB = cluster[1].Services.GetRequiredService<AlertHub.Server.Features.Cluster.ClusterRedis>();
        var db = await redisOnB.DatabaseAsync();
        var stamp = redisOnB.Key("presence:on:" + cluster[1].Services.GetRequiredService<AlertHub.Core.Cluster.ClusterNode>().Id);
        var listensOn = (string?)await db.StringGetAsync(stamp);
        Assert.False(string.IsNullOrEmpty(listensOn));
        // As the promoted replica would have it: B's stamp names the server that died.
        await db.StringSetAsync(stamp, "0123456789abcdef0123456789abcdef01234567", TimeSpan.FromMinutes(1));

        Assert.Empty(await presenceOnA.ConnectedAsync([resident.Id], CancellationToken.None));
        Assert.NotNull(presenceOnA.ElsewhereIncomplete);
        var id = (await Api.IssueAsync(a, Api.ExerciseAlert(Circle)))["id"]!.GetValue<string>();
        await WaitAsync(async () => await cluster[0].CountAsync(
            $"SELECT count(*) FROM outbox_receipts WHERE alert_id = '{id}' AND error = '{SignalRChannel.PresenceIncomplete}'") >= 1, TimeSpan.FromSeconds(10));
        Assert.Equal(0, Count(received));

        // B listens on this server again (its next heartbeat would write this): the alert goes out at the next try.
        await db.StringSetAsync(stamp, listensOn, TimeSpan.FromMinutes(1));
        await WaitAsync(() => Count(received) >= 1, TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        Assert.Equal(id, Assert.Single(Snapshot(received)).AlertId);
        Assert.Equal(0, await cluster[0].CountAsync($"SELECT count(*) FROM outbox_receipts WHERE alert_id = '{id}' AND error = 'resident not connected'"));
        Assert.Equal(1, await cluster[0].CountAsync($"SELECT count(*) FROM outbox_receipts WHERE alert_id = '{id}' AND channel = 'signalr' AND outcome = 1"));
    }

    [RedisFact]
    public async Task StaffEventsIssuedOnA_ReachAStaffConnectionOnB()
    {
        using var cluster = await ClusterHubs.StartAsync(2, await ClusterRedisSettings.ForAsync());
        var issuedIds = new List<string>();
        await using var staffOnB = cluster[1].SignalR(HubFactory.AdminKey);
        staffOnB.On<JsonObject>("alertIssued", e => { lock (issuedIds) { issuedIds.Add(e["id"]!.GetValue<string>()); } });
        await staffOnB.StartListeningAsync();

        using var a = cluster[0].Admin();
        var id = (await Api.IssueAsync(a, Api.ExerciseAlert(Circle)))["id"]!.GetValue<string>();

        await WaitAsync(() => { lock (issuedIds) { return issuedIds.Contains(id); } }, TimeSpan.FromSeconds(10));
    }

    [RedisFact]
    public async Task FailedSignInsSpreadOverAAndB_LockTheAccountAsOnOneNode()
    {
        using var cluster = await ClusterHubs.StartAsync(2, await ClusterRedisSettings.ForAsync());
        var username = await cluster[0].CreateStaffUserAsync(["viewer"]);
        using var a = cluster[0].CreateClient();
        using var b = cluster[1].CreateClient();

        // The default limit is 5 failures: 3 on A and 2 on B would lock nobody if each node counted its own.
        for (var i = 0; i < 4; i++)
        {
            var response = await (i % 2 == 0 ? a : b).PostAsJsonAsync("/api/staff/session", new { username, password = "wrong password " + i });
            await response.AssertProblemAsync(401, "auth.invalid_credentials");
        }

        var fifth = await a.PostAsJsonAsync("/api/staff/session", new { username, password = "wrong password 4" });
        await fifth.AssertProblemAsync(429, "auth.locked_out");
        var rightOnB = await b.PostAsJsonAsync("/api/staff/session", new { username, password = StaffSessions.DefaultPassword });
        await rightOnB.AssertProblemAsync(429, "auth.locked_out");
        Assert.InRange(int.Parse(rightOnB.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture), 800, 900);
    }

    [RedisFact]
    public async Task RegistrationsOverAAndB_ShareThePerClientLimit()
    {
        using var cluster = await ClusterHubs.StartAsync(2, await ClusterRedisSettings.ForAsync(new() { ["Residents:RegistrationsPerMinutePerClient"] = "3" }));
        using var a = cluster[0].CreateClient();
        using var b = cluster[1].CreateClient();
        var body = new { places = new[] { new { label = "home", lat = 39.31, lon = 140.55 } }, endpoints = new[] { new { channel = "signalr" } } };

        Assert.Equal(201, (int)(await a.PostAsJsonAsync("/api/residents", body)).StatusCode);
        Assert.Equal(201, (int)(await b.PostAsJsonAsync("/api/residents", body)).StatusCode);
        Assert.Equal(201, (int)(await a.PostAsJsonAsync("/api/residents", body)).StatusCode);
        var fourth = await b.PostAsJsonAsync("/api/residents", body);
        await fourth.AssertProblemAsync(429, "residents.rate_limited");
        Assert.InRange(int.Parse(fourth.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        await (await a.PostAsJsonAsync("/api/residents", body)).AssertProblemAsync(429, "residents.rate_limited");
    }

    [RedisFact]
    public async Task NodeKilledWithResidentsConnected_StopsCountingWithinThePresenceTtl()
    {
        var settings = await ClusterRedisSettings.ForAsync(new() { ["Cluster:RedisPresenceTtl"] = "00:00:03" });
        using var cluster = await ClusterHubs.StartAsync(1, settings);
        using var a = cluster[0].Admin();
        var resident = await Api.RegisterAsync(a, 39.3114, 140.5535);
        var presenceOnA = cluster[0].Services.GetRequiredService<ResidentConnections>();

        // Node B as a process of its own on the same store and Redis, so it can die without cleaning up.
        var processSettings = new Dictionary<string, string?>(settings)
        {
            ["Storage:Engine"] = "postgres",
            ["ConnectionStrings:AlertHub"] = cluster.ConnectionString,
            ["Cluster:NodeName"] = "node-b",
            ["Areas:LoadDemoAreas"] = "false",
            ["Storage:MinFreeDiskMegabytes"] = "0",
        };
        await using var b = await HubProcess.StartAsync(processSettings, "cluster-redis-admin-key-0123456789abcdef", TimeSpan.FromMinutes(2), CancellationToken.None,
            builtConfiguration: BuildConfiguration);
        await using var onB = new HubConnectionBuilder().WithUrl(new Uri(b.BaseAddress, "/hubs/alerts")).Build();
        await onB.StartAsync();
        Assert.True(await onB.InvokeAsync<bool>("Subscribe", resident.Id.ToString(), resident.Token));
        Assert.Contains(resident.Id, await presenceOnA.ConnectedAsync([resident.Id], CancellationToken.None));
        // Past two heartbeats: the set is being renewed, not just left over from the join.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Contains(resident.Id, await presenceOnA.ConnectedAsync([resident.Id], CancellationToken.None));

        using (var process = Process.GetProcessById(b.ProcessId))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        var killed = Stopwatch.StartNew();
        await WaitAsync(async () => (await presenceOnA.ConnectedAsync([resident.Id], CancellationToken.None)).Count == 0, TimeSpan.FromSeconds(10));
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(5), $"gone after {killed.Elapsed.TotalSeconds:N1} s; the TTL is 3 s");
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    private static int Count(List<JsonElementMessage> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    private static List<JsonElementMessage> Snapshot(List<JsonElementMessage> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    private static Task WaitAsync(Func<bool> done, TimeSpan timeout) => WaitAsync(() => Task.FromResult(done()), timeout);

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(deadline.Elapsed < timeout, $"not within {timeout.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}
