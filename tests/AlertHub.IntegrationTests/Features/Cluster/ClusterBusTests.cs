using System.Diagnostics;
using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.IntegrationTests.Storage;
using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.Health;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// Nodes on one PostgreSQL store hear each other's changes (LISTEN/NOTIFY): delivery workers wake, API keys, staff
/// credentials, areas, rules and the targeting index follow at once, not at the next poll or restart.
/// </summary>
public sealed class ClusterBusTests
{
    private const double Lat = 39.3114;
    private const double Lon = 140.5535;

    private static readonly object Here = new { circles = new[] { new { lat = Lat, lon = Lon, radiusMeters = 1000 } } };

    [PostgresFact]
    public async Task DeliveryWake_WorkWrittenOnANodeThatDoesNotSend_IsSentByAnotherNodeWithinTwoSecondsDespiteAThirtySecondPoll()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var connectionString = await PostgresServer.NewDatabaseAsync();
        var slowPoll = new Dictionary<string, string?> { ["Delivery:PollInterval"] = "00:00:30" };
        // Node A writes the work but runs no delivery workers (as if busy elsewhere); only B can send it.
        using var a = await StartNodeAsync(connectionString, "node-a", slowPoll, services => services.WithoutDeliveryWorkers());
        using var b = await StartNodeAsync(connectionString, "node-b", slowPoll);
        using var adminA = a.Admin();
        const string secret = "cluster-wake-secret-0001";
        await Api.RegisterAsync(adminA, Lat, Lon, endpoints: [new { channel = "webhook", address = receiver.Url("wake", secret), secret }]);
        // B's worker has made its first empty claim by now and waits out its 30 s poll.
        await Task.Delay(500);

        var issued = Stopwatch.StartNew();
        await Api.IssueAsync(adminA, Api.ExerciseAlert(Here));
        await receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));

        Assert.True(issued.Elapsed < TimeSpan.FromSeconds(2), $"delivered after {issued.Elapsed.TotalMilliseconds:0} ms: node B waited for its poll");
        Assert.Equal(1, await b.CountAsync("SELECT count(*) FROM outbox_items WHERE channel = 'webhook' AND claimed_by LIKE 'node-b/%'"));
    }

    [PostgresFact]
    public async Task Cancel_OnTheIssuingNode_StopsTheBatchAnotherNodeIsSendingWithinASecond()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(100);
        var connectionString = await PostgresServer.NewDatabaseAsync();
        // One batch of 200 at 2 in flight and 100 ms each: node B needs about 10 s for it.
        var slowChannel = new Dictionary<string, string?>
        {
            ["Channels:Webhook:MaxConcurrency"] = "2",
            ["Channels:Webhook:MaxBatchSize"] = "200",
        };
        using var a = await StartNodeAsync(connectionString, "node-a", slowChannel, services => services.WithoutDeliveryWorkers());
        using var b = await StartNodeAsync(connectionString, "node-b", slowChannel);
        using var adminA = a.Admin();
        await Alerts.QueueingInPartsTests.ImportAsync(adminA, receiver, 200);
        var id = (await Api.IssueAsync(adminA, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } })))["id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => FirstVersion(r) >= 10, TimeSpan.FromSeconds(30));

        Assert.Equal(202, (int)(await adminA.PostAsync($"/api/alerts/{id}/cancel", null)).StatusCode);
        // B hears of version 2 and admits no more of version 1; what it had in flight (2) still lands.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var soonAfter = FirstVersion(receiver.Received);
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal(soonAfter, FirstVersion(receiver.Received));
        Assert.True(soonAfter < 100, $"{soonAfter} of 200 got version 1: the cancel did not stop node B's batch");

        static int FirstVersion(IEnumerable<ReceivedWebhook> received) => received.Count(x => x.Json["alert"]!["version"]!.GetValue<int>() == 1);
    }

    [PostgresFact]
    public async Task ApiKey_CreatedOnOneNode_WorksOnAnotherAtOnce()
    {
        using var cluster = await ClusterHubs.StartAsync(2);

        var key = await cluster[0].CreateKeyAsync("viewer");
        using var onB = cluster[1].WithKey(key);

        Assert.Equal(200, (int)(await onB.GetAsync("/api/channels")).StatusCode);
    }

    [PostgresFact]
    public async Task ApiKey_RevokedOnOneNode_IsRefusedOnAnotherOnTheVeryNextRequest()
    {
        using var cluster = await ClusterHubs.StartAsync(2);
        using var adminA = cluster[0].Admin();
        var created = await (await adminA.PostAsJsonAsync("/api/keys", new { name = "night shift viewer", role = "viewer" })).JsonAsync();
        using var onB = cluster[1].WithKey(created["key"]!.GetValue<string>());
        Assert.Equal(200, (int)(await onB.GetAsync("/api/channels")).StatusCode);

        Assert.Equal(204, (int)(await adminA.DeleteAsync($"/api/keys/{created["id"]!.GetValue<string>()}")).StatusCode);

        Assert.Equal(401, (int)(await onB.GetAsync("/api/channels")).StatusCode);
    }

    [PostgresFact]
    public async Task StaffUser_DisabledOnOneNode_TheirStaffConnectionOnAnotherNodeCloses()
    {
        // Far beyond the test: only the notification can explain the close.
        using var cluster = await ClusterHubs.StartAsync(2, new() { ["Staff:ConnectionRecheckInterval"] = "00:10:00" });
        using var viewer = await cluster[1].SignInAsStaffAsync("viewer");
        var connection = cluster[1].SignalRWithCookie(viewer);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        await connection.StartListeningAsync();
        using var adminA = cluster[0].Admin();

        var response = await adminA.PutAsJsonAsync($"/api/staff/users/{viewer.Username}", new { disabled = true });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        Assert.True(await Task.WhenAny(closed.Task, Task.Delay(TimeSpan.FromSeconds(5))) == closed.Task, "the staff connection on node B is still open");
        await connection.DisposeAsync();
    }

    [PostgresFact]
    public async Task Area_AddedThenDeletedOnOneNode_IsUsedThenRefusedByAnotherNodesTargeting()
    {
        using var cluster = await ClusterHubs.StartAsync(2);
        using var adminA = cluster[0].Admin();
        using var adminB = cluster[1].Admin();
        await Api.RegisterAsync(adminB, Lat, Lon);

        var areaId = await Api.AddAreaAsync(adminA, "横手川 浸水想定区域", Api.Square(Lat, Lon, 0.01));

        var preview = await EventuallyAsync(() => PreviewAsync(adminB, new { areaIds = new[] { areaId } }), p => p.Status == 200, TimeSpan.FromSeconds(1));
        Assert.Equal(1, preview.Recipients);

        Assert.Equal(204, (int)(await adminA.DeleteAsync($"/api/areas/{areaId}")).StatusCode);

        var after = await EventuallyAsync(() => PreviewAsync(adminB, new { areaIds = new[] { areaId } }), p => p.Status == 400, TimeSpan.FromSeconds(1));
        Assert.Equal(400, after.Status);
    }

    [PostgresFact]
    public async Task Rules_SavedOnOneNode_AreTheRulesAnotherNodeUsesAtOnce()
    {
        using var cluster = await ClusterHubs.StartAsync(2);
        using var adminA = cluster[0].Admin();
        using var adminB = cluster[1].Admin();
        // B reads (and caches) the rules in force before the change: those from configuration.
        Assert.DoesNotContain((await (await adminB.GetAsync("/api/rules")).JsonAsync()).AsArray(), r => r!["name"]!.GetValue<string>() == "quake-yokote");

        var put = await adminA.PutAsJsonAsync("/api/rules", new object[] { new { name = "quake-yokote", families = new[] { "JMA:VXSE53" }, minIntensity = "4", municipalities = new[] { "05203" } } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        var onB = (await (await adminB.GetAsync("/api/rules")).JsonAsync()).AsArray();
        Assert.Equal("quake-yokote", Assert.Single(onB)!["name"]!.GetValue<string>());
    }

    [PostgresFact]
    public async Task Resident_RegisteredOnOneNode_IsCountedAndReachedByAnotherWithinASecond_AndNotAfterTheyAreDeleted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var cluster = await ClusterHubs.StartAsync(3);
        using var publicB = cluster[1].CreateClient();
        using var adminC = cluster[2].Admin();
        const string secret = "cluster-resident-secret-01";

        var resident = await Api.RegisterAsync(publicB, Lat, Lon, endpoints: [new { channel = "webhook", address = receiver.Url("moved", secret), secret }]);

        var counted = await EventuallyAsync(() => PreviewAsync(adminC, Here), p => p.Recipients == 1, TimeSpan.FromSeconds(1));
        Assert.Equal(1, counted.Recipients);
        await Api.IssueAsync(adminC, Api.ExerciseAlert(Here));
        await receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));

        using var owner = cluster[1].CreateClient();
        owner.DefaultRequestHeaders.Authorization = new("Bearer", resident.Token);
        Assert.Equal(204, (int)(await owner.DeleteAsync($"/api/residents/{resident.Id}")).StatusCode);

        var gone = await EventuallyAsync(() => PreviewAsync(adminC, Here), p => p.Recipients == 0, TimeSpan.FromSeconds(1));
        Assert.Equal(0, gone.Recipients);
    }

    [PostgresFact]
    public async Task Resident_ChangeWhileAnotherNodesListenerIsDown_IsCaughtUpWhenItListensAgain()
    {
        // The periodic check is far away: only the resync after reconnecting can bring the change in.
        using var cluster = await ClusterHubs.StartAsync(2, new()
        {
            ["Cluster:Events:CatchUpInterval"] = "00:10:00",
            ["Cluster:Events:ReconnectMinDelay"] = "00:00:01",
        });
        using var adminB = cluster[1].Admin();
        using var publicA = cluster[0].CreateClient();
        // Both nodes' listeners go; node A's reconnects too, but node B misses what A writes in the meantime.
        await TerminateListenersAsync(cluster.ConnectionString);

        await Api.RegisterAsync(publicA, Lat, Lon);

        var counted = await EventuallyAsync(() => PreviewAsync(adminB, Here), p => p.Recipients == 1, TimeSpan.FromSeconds(10));
        Assert.Equal(1, counted.Recipients);
    }

    [PostgresFact]
    public async Task ApiKey_RevokedWhileAnotherNodesListenerIsDown_IsRefusedThereOnceItListensAgain()
    {
        using var cluster = await ClusterHubs.StartAsync(2, new() { ["Cluster:Events:ReconnectMinDelay"] = "00:00:01" });
        using var adminA = cluster[0].Admin();
        var created = await (await adminA.PostAsJsonAsync("/api/keys", new { name = "to revoke", role = "viewer" })).JsonAsync();
        using var onB = cluster[1].WithKey(created["key"]!.GetValue<string>());
        Assert.Equal(200, (int)(await onB.GetAsync("/api/channels")).StatusCode);
        await TerminateListenersAsync(cluster.ConnectionString);

        Assert.Equal(204, (int)(await adminA.DeleteAsync($"/api/keys/{created["id"]!.GetValue<string>()}")).StatusCode);

        var refused = await EventuallyAsync(async () => (int)(await onB.GetAsync("/api/channels")).StatusCode, s => s == 401, TimeSpan.FromSeconds(10));
        Assert.Equal(401, refused);
    }

    private sealed record Preview(int Status, int Recipients);

    private static async Task<Preview> PreviewAsync(HttpClient admin, object area)
    {
        var response = await admin.PostAsJsonAsync("/api/targeting/preview", new { area });
        return (int)response.StatusCode == 200
            ? new Preview(200, (await response.JsonAsync())["recipients"]!.GetValue<int>())
            : new Preview((int)response.StatusCode, -1);
    }

    /// <summary>Asks until <paramref name="done"/> holds or <paramref name="within"/> passed; returns the last answer.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> ask, Func<T, bool> done, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var answer = await ask();
            if (done(answer) || watch.Elapsed > within)
            {
                return answer;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Ends every node's listening connection from the server side, as a failover or network cut would.</summary>
    private static async Task TerminateListenersAsync(string connectionString)
    {
        await using var pg = new Npgsql.NpgsqlConnection(connectionString);
        await pg.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'alerthub-listener'", pg);
        Assert.True((long)(await cmd.ExecuteScalarAsync())! >= 2, "no listening connections to end");
    }

    private static async Task<HubFactory> StartNodeAsync(string connectionString, string name, Dictionary<string, string?> settings,
        Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            ["Storage:Engine"] = "postgres",
            ["ConnectionStrings:AlertHub"] = connectionString,
            ["Cluster:NodeName"] = name,
        };
        var hub = new HubFactory(settings: all, services: services);
        await hub.WaitReadyAsync();
        return hub;
    }
}

internal static class NodeServices
{
    /// <summary>A node that claims and sends nothing (its /health still says workers run, so it counts as ready).</summary>
    public static void WithoutDeliveryWorkers(this IServiceCollection services)
    {
        foreach (var worker in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DeliveryWorkers)).ToList())
        {
            services.Remove(worker);
        }

        services.AddHostedService<NoWorkers>();
    }

    private sealed class NoWorkers(HealthState health) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            health.WorkersRunning = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
