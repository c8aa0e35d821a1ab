using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.IntegrationTests.Storage;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// Three hub processes on one PostgreSQL database. The node that issued an alert is SIGKILLed in the middle of its
/// fan-out: the other two finish it, nobody is lost, and what goes out twice is at most what the dead node had in
/// flight, with the same delivery id.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class NodeDeathTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Residents = 3000;
    private const int Concurrency = 16;
    private const string AdminKey = "cluster-test-admin-key-0123456789abcdef";

    [PostgresFact]
    public async Task Kill9_TheIssuingNodeMidFanOut_TheOthersFinishAndResendAtMostWhatItHadInFlight()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(20);
        var connectionString = await PostgresServer.NewDatabaseAsync();
        var nodes = new List<HubProcess>();
        try
        {
            foreach (var name in new[] { "node-a", "node-b", "node-c" })
            {
                nodes.Add(await HubProcess.StartAsync(new Dictionary<string, string?>
                {
                    ["Storage:Engine"] = "postgres",
                    ["ConnectionStrings:AlertHub"] = connectionString,
                    ["Cluster:NodeName"] = name,
                    ["Channels:Webhook:MaxConcurrency"] = $"{Concurrency}",
                    ["Channels:Webhook:MaxBatchSize"] = "256",
                    ["Areas:LoadDemoAreas"] = "false",
                    ["Storage:MinFreeDiskMegabytes"] = "0",
                }, AdminKey, TimeSpan.FromMinutes(2), CancellationToken.None, builtConfiguration: BuildConfiguration));
            }

            using var a = Admin(nodes[0]);
            using var b = Admin(nodes[1]);
            await ImportAsync(a, receiver);
            var cluster = await GetClusterAsync(b);
            Assert.True(cluster["shared"]!.GetValue<bool>());
            Assert.Equal(3, cluster["liveNodes"]!.GetValue<int>());

            var issued = await a.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } }));
            Assert.Equal(202, (int)issued.StatusCode);
            await receiver.WaitForAsync(r => r.Count >= Residents / 3, TimeSpan.FromSeconds(60));
            var inFlightOfA = InFlightOf(await GetClusterAsync(b), "node-a");
            await nodes[0].KillAsync(CancellationToken.None);
            var killed = DateTimeOffset.UtcNow;

            // The survivors declare it dead and give its claims to themselves within the node timeout (6 s) plus a beat.
            TimeSpan? takenOver = null;
            while (DateTimeOffset.UtcNow - killed < TimeSpan.FromSeconds(30))
            {
                var now = await GetClusterAsync(b);
                var nodeA = now["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "node-a")!;
                if (nodeA["state"]!.GetValue<string>() == "dead" && nodeA["inFlight"]!.GetValue<int>() == 0)
                {
                    takenOver = DateTimeOffset.UtcNow - killed;
                    break;
                }

                await Task.Delay(250);
            }

            Assert.True(takenOver is not null, "node-a was not declared dead, or its claims were not given back, within 30 s");
            Assert.True(takenOver < TimeSpan.FromSeconds(10), $"the backlog was taken over {takenOver!.Value.TotalSeconds:0.0} s after the kill");

            await receiver.WaitForAsync(r => r.Select(x => x.Path).Distinct().Count() >= Residents, TimeSpan.FromSeconds(90));
            await Task.Delay(500);
            var received = receiver.Received.ToList();
            var resent = received.GroupBy(r => r.Path).Where(g => g.Count() > 1).ToList();
            var copies = resent.Sum(g => g.Count() - 1);
            output.WriteLine($"node-a killed with {inFlightOfA} items claimed; taken over after {takenOver.Value.TotalSeconds:0.0} s; re-sent {copies}; all {Residents} reached");
            Assert.Equal(Residents, received.Select(r => r.Path).Distinct().Count());
            Assert.All(resent, g => Assert.Single(g.Select(r => r.DeliveryId).Distinct()));
            // A send slot is given back only once its outcome is recorded, so a node never has more than the channel's
            // concurrency sent but unrecorded.
            Assert.True(copies <= Concurrency, $"{copies} messages went out twice; node-a had at most {Concurrency} in flight");
            Assert.All(received, r => Assert.True(r.SignatureValid));
            var final = await GetClusterAsync(b);
            Assert.Equal(2, final["liveNodes"]!.GetValue<int>());
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// LINE multicasts carry hundreds of residents each and LINE keeps no per-recipient idempotency: only the request's
    /// <c>X-Line-Retry-Key</c>. A node is SIGKILLed while LINE (slow to answer here) has accepted its multicasts but not
    /// yet answered them. The node that takes its chunks over plans the same requests with the same retry keys, so LINE
    /// answers 409 to those and nobody gets the message twice.
    /// </summary>
    [PostgresFact]
    public async Task Kill9_ANodeWhoseLineMulticastsAreUnanswered_TheOthersResendThemWithTheSameRetryKeys_NobodyGetsTwo()
    {
        const int lineResidents = 3000;
        await using var line = new AlertHub.MobileSim.Peers.Line.FakeLine(new AlertHub.MobileSim.Report.ReceiptLog(),
            new AlertHub.MobileSim.Peers.Line.FakeLineOptions { AnswerDelay = TimeSpan.FromMilliseconds(1500), MulticastPerSecond = 1000 });
        await line.StartAsync();
        var connectionString = await PostgresServer.NewDatabaseAsync();
        var nodes = new List<HubProcess>();
        try
        {
            foreach (var name in new[] { "node-a", "node-b", "node-c" })
            {
                var settings = new Dictionary<string, string?>(line.HubSettings)
                {
                    ["Storage:Engine"] = "postgres",
                    ["ConnectionStrings:AlertHub"] = connectionString,
                    ["Cluster:NodeName"] = name,
                    ["Channels:Line:MaxBatchSize"] = "1000",
                    ["Channels:Line:MulticastChunkSize"] = "100",
                    ["Channels:Line:MaxConcurrency"] = "4",
                    ["Channels:Line:RequestTimeout"] = "00:00:10",
                    ["Areas:LoadDemoAreas"] = "false",
                    ["Storage:MinFreeDiskMegabytes"] = "0",
                };
                nodes.Add(await HubProcess.StartAsync(settings, AdminKey, TimeSpan.FromMinutes(2), CancellationToken.None, builtConfiguration: BuildConfiguration));
            }

            using var a = Admin(nodes[0]);
            using var b = Admin(nodes[1]);
            var users = new List<string>(lineResidents);
            var ndjson = new StringBuilder();
            for (var i = 0; i < lineResidents; i++)
            {
                var user = line.EndpointFor($"line-{i}").Address!;
                users.Add(user);
                ndjson.Append("{\"places\":[{\"lat\":39.3,\"lon\":140.55}],\"endpoints\":[{\"channel\":\"line\",\"address\":\"").Append(user).Append("\"}]}\n");
            }

            var import = await (await a.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
            Assert.Equal(lineResidents, import["accepted"]!.GetValue<int>());

            var issued = await a.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } }));
            Assert.Equal(202, (int)issued.StatusCode);

            // Once LINE has delivered a multicast it has not answered yet (answers wait 1.5 s), kill the node whose claim it
            // came from: the outbox chunk holding its first recipient is claimed by exactly that node.
            await Eventually.UntilAsync(() => line.AwaitingAnswer().Count > 0, TimeSpan.FromSeconds(60), "LINE to hold a multicast it has not answered");
            var unanswered = line.AwaitingAnswer()[0];
            string? sender;
            await using (var pg = new Npgsql.NpgsqlConnection(connectionString))
            {
                await pg.OpenAsync();
                await using var holder = new Npgsql.NpgsqlCommand("""
                    SELECT split_part(i.claimed_by, '/', 1) FROM outbox_items i JOIN resident_endpoints e ON e.resident_id = ANY(i.members)
                    WHERE e.channel = 'line' AND e.address = @user AND i.channel = 'line' AND i.state = 7
                    """, pg);
                holder.Parameters.AddWithValue("user", unanswered);
                sender = (string?)await holder.ExecuteScalarAsync();
            }

            Assert.NotNull(sender);
            var victim = nodes[Array.IndexOf(["node-a", "node-b", "node-c"], sender)];
            var deliveredAtKill = line.DeliveryCount;
            await victim.KillAsync(CancellationToken.None);
            var busiest = sender;

            await Eventually.UntilAsync(() => line.Deliveries.Select(d => d.UserId).Distinct().Count() >= lineResidents, TimeSpan.FromSeconds(90), "every LINE user to have the alert");
            await Task.Delay(2000); // late copies, if any, would arrive now
            var perUser = line.Deliveries.GroupBy(d => d.UserId).ToDictionary(g => g.Key, g => g.Count());
            var conflicts = line.Requests.Count(r => r.Status == 409);
            output.WriteLine($"{busiest} killed with {deliveredAtKill} LINE deliveries made; afterwards {conflicts} multicasts answered 409 (retry key already accepted)");
            Assert.Equal(users.Order(StringComparer.Ordinal), perUser.Keys.Order(StringComparer.Ordinal));
            Assert.All(perUser, p => Assert.True(p.Value == 1, $"{p.Key} got the alert {p.Value} times"));
            // The dead node's accepted-but-unanswered multicasts were sent again, as the same requests.
            Assert.True(conflicts > 0, "no multicast was repeated after the kill: the test did not catch a node with LINE requests in flight");
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [PostgresFact]
    public async Task Kill9_TheNodeHoldingACamera_AnotherNodeTakesItOverAndPollsIt()
    {
        await using var camera = await Features.Cameras.LoopbackCameraServer.StartAsync();
        camera.Still = Features.Cameras.TestImages.Jpeg("river");
        var connectionString = await PostgresServer.NewDatabaseAsync();
        string[] names = ["node-a", "node-b", "node-c"];
        var nodes = new List<HubProcess>();
        try
        {
            foreach (var name in names)
            {
                nodes.Add(await HubProcess.StartAsync(new Dictionary<string, string?>
                {
                    ["Storage:Engine"] = "postgres",
                    ["ConnectionStrings:AlertHub"] = connectionString,
                    ["Cluster:NodeName"] = name,
                    ["Areas:LoadDemoAreas"] = "false",
                    ["Storage:MinFreeDiskMegabytes"] = "0",
                    ["Cameras:HistoryInterval"] = "00:00:00",
                    ["Cameras:FrozenAfterIdentical"] = "1000",
                    ["Cameras:LeaseTimeToLive"] = "00:00:03",
                    ["Cameras:LeaseRenewInterval"] = "00:00:01",
                }, AdminKey, TimeSpan.FromMinutes(2), CancellationToken.None, builtConfiguration: BuildConfiguration));
            }

            using var a = Admin(nodes[0]);
            var created = await a.PostAsJsonAsync("/api/cameras", new
            {
                name = "river gauge", kind = "jpeg-poll", url = $"{camera.BaseUrl}/snap.jpg", location = new { lat = 39.31, lon = 140.56 },
                snapshotIntervalSeconds = 1,
            });
            Assert.Equal(201, (int)created.StatusCode);
            var role = "camera." + (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

            string? HolderOf(JsonObject cluster) => cluster["nodes"]!.AsArray()
                .Where(n => n!["state"]!.GetValue<string>() == "live" && n["roles"]!.AsArray().Any(r => r!.GetValue<string>() == role))
                .Select(n => n!["name"]!.GetValue<string>()).SingleOrDefault();
            var holder = await Eventually.UntilAsync(async () => HolderOf(await GetClusterAsync(a)), h => h is not null, TimeSpan.FromSeconds(20),
                "one node holding the camera");
            await Eventually.UntilAsync(() => camera.AllRequests.Count(r => r == "GET /snap.jpg") >= 2, TimeSpan.FromSeconds(20), "the holder polling");

            var victim = nodes[Array.IndexOf(names, holder)];
            using var survivor = Admin(nodes[(Array.IndexOf(names, holder) + 1) % names.Length]);
            await victim.KillAsync(CancellationToken.None);
            var killed = DateTimeOffset.UtcNow;
            var pollsAtKill = camera.AllRequests.Count(r => r == "GET /snap.jpg");

            // The lease (3 s) runs out and a live node takes the camera; only one node ever holds it.
            var next = await Eventually.UntilAsync(async () => HolderOf(await GetClusterAsync(survivor)), h => h is not null && h != holder,
                TimeSpan.FromSeconds(20), "another node holding the camera");
            output.WriteLine($"{holder} killed; {next} holds the camera {(DateTimeOffset.UtcNow - killed).TotalSeconds:0.0} s later");
            await Eventually.UntilAsync(() => camera.AllRequests.Count(r => r == "GET /snap.jpg") >= pollsAtKill + 2, TimeSpan.FromSeconds(20),
                "the new holder polling the camera");
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A node that is not dead but stalled (SIGSTOP: a frozen VM, a long pause) past the node timeout is declared dead and
    /// its claims are given to the other node. When it wakes (SIGCONT) it must not go on sending the batches it had claimed:
    /// those are the other node's now. Copies are bounded by the webhook channel's send slots (MaxUnrecorded, which defaults
    /// to MaxConcurrency): items sent and not yet recorded when it stopped. Before it fenced itself it sent on through its
    /// claimed batches: 571 second copies. CI once saw 17: a request that had passed the fence waited for a slot across the
    /// stall and went out on waking (BatchRunTests).
    /// </summary>
    [PostgresFact]
    public async Task Stalled_TheIssuingNodeStoppedPastTheNodeTimeout_WhenItWakesItResendsAtMostWhatItHadInFlight()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(20);
        var connectionString = await PostgresServer.NewDatabaseAsync();
        var nodes = new List<HubProcess>();
        try
        {
            foreach (var name in new[] { "node-a", "node-b" })
            {
                nodes.Add(await HubProcess.StartAsync(new Dictionary<string, string?>
                {
                    ["Storage:Engine"] = "postgres",
                    ["ConnectionStrings:AlertHub"] = connectionString,
                    ["Cluster:NodeName"] = name,
                    ["Channels:Webhook:MaxConcurrency"] = $"{Concurrency}",
                    ["Channels:Webhook:MaxBatchSize"] = "256",
                    // Longer than the stop: a request in flight when the node stopped must not also time out and be tried
                    // again by it when it wakes (a stall longer than the request timeout can add that one more copy).
                    ["Channels:Webhook:RequestTimeout"] = "00:01:00",
                    ["Areas:LoadDemoAreas"] = "false",
                    ["Storage:MinFreeDiskMegabytes"] = "0",
                }, AdminKey, TimeSpan.FromMinutes(2), CancellationToken.None, builtConfiguration: BuildConfiguration));
            }

            using var a = Admin(nodes[0]);
            using var b = Admin(nodes[1]);
            await ImportAsync(a, receiver);

            var issued = await a.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } }));
            Assert.Equal(202, (int)issued.StatusCode);
            await receiver.WaitForAsync(r => r.Count >= Residents / 4, TimeSpan.FromSeconds(60));
            Signal(nodes[0], "STOP");
            var stopped = DateTimeOffset.UtcNow;
            try
            {
                await Eventually.UntilAsync(async () =>
                {
                    var nodeA = (await GetClusterAsync(b))["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "node-a")!;
                    return nodeA["state"]!.GetValue<string>() == "dead" && nodeA["inFlight"]!.GetValue<int>() == 0;
                }, TimeSpan.FromSeconds(30), "node-b declaring the stopped node-a dead and taking its claims");
                // node-b claims what node-a held and starts sending it before node-a wakes.
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            finally
            {
                Signal(nodes[0], "CONT");
            }

            output.WriteLine($"node-a stopped for {(DateTimeOffset.UtcNow - stopped).TotalSeconds:0.0} s");
            await receiver.WaitForAsync(r => r.Select(x => x.Path).Distinct().Count() >= Residents, TimeSpan.FromSeconds(90));
            // Time for a woken node that did not fence itself to send what it still held.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var received = receiver.Received.ToList();
            var resent = received.GroupBy(r => r.Path).Where(g => g.Count() > 1).ToList();
            var copies = resent.Sum(g => g.Count() - 1);
            output.WriteLine($"re-sent {copies}; all {Residents} reached");
            Assert.Equal(Residents, received.Select(r => r.Path).Distinct().Count());
            Assert.All(resent, g => Assert.Single(g.Select(r => r.DeliveryId).Distinct()));
            Assert.True(copies <= Concurrency, $"{copies} messages went out twice; node-a had at most {Concurrency} in flight when it stopped");
            // node-a is alive again and takes part once more.
            await Eventually.UntilAsync(async () => (await GetClusterAsync(b))["liveNodes"]!.GetValue<int>() == 2, TimeSpan.FromSeconds(10),
                "node-a live again after it woke");
        }
        finally
        {
            foreach (var node in nodes)
            {
                Signal(node, "CONT");
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Sends SIGSTOP or SIGCONT to a hub process (and, for CONT, harmlessly to one that is not stopped).</summary>
    private static void Signal(HubProcess node, string signal)
    {
        using var kill = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("kill", $"-{signal} {node.ProcessId}")
        {
            RedirectStandardError = true,
        })!;
        kill.WaitForExit();
    }

    private static HttpClient Admin(HubProcess node)
    {
        var client = new HttpClient { BaseAddress = node.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    private static async Task<JsonObject> GetClusterAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonObject>("/api/cluster"))!;

    private static int InFlightOf(JsonObject cluster, string name) =>
        cluster["nodes"]!.AsArray().Where(n => n!["name"]!.GetValue<string>() == name && n["state"]!.GetValue<string>() == "live")
            .Sum(n => n!["inFlight"]!.GetValue<int>());

    private static async Task ImportAsync(HttpClient admin, WebhookReceiver receiver)
    {
        var ndjson = new StringBuilder();
        for (var i = 0; i < Residents; i++)
        {
            var secret = $"cluster-secret-{i:D6}";
            ndjson.Append("{\"places\":[{\"lat\":39.3,\"lon\":140.55}],\"endpoints\":[{\"channel\":\"webhook\",\"address\":\"")
                .Append(receiver.Url($"r{i}", secret)).Append("\",\"secret\":\"").Append(secret).Append("\"}]}\n");
        }

        var import = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
        Assert.Equal(Residents, import["accepted"]!.GetValue<int>());
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
