using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.Core.Cluster;
using AlertHub.IntegrationTests.Features.Cameras;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Cameras;
using AlertHub.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// One worker per camera across the cluster: nodes on one PostgreSQL store and one shared media folder, and a loopback
/// JPEG camera that counts how often it is asked. Only the node holding lease <c>camera.{id}</c> polls it and judges its
/// status; every node serves its snapshots; when the holder stops, or loses its lease, another node takes the camera over.
/// </summary>
public sealed class CameraOwnershipTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string _media = Path.Combine(Path.GetTempPath(), "alerthub-shared-media-" + Guid.NewGuid().ToString("N")[..8]);
    private LoopbackCameraServer? _camera;

    public async Task InitializeAsync()
    {
        _camera = await LoopbackCameraServer.StartAsync();
        _camera.Still = TestImages.Jpeg("before");
    }

    public async Task DisposeAsync()
    {
        await _camera!.DisposeAsync();
        try
        {
            Directory.Delete(_media, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [PostgresFact]
    public async Task Camera_ThreeNodes_OnlyTheHolderPollsEveryNodeServesItsSnapshots_CleanStopHandsItOver()
    {
        using var cluster = await ClusterHubs.StartAsync(3, Settings());
        using var admin = cluster[0].Admin();
        var id = await CreateCameraAsync(admin);

        var holder = await HolderAsync(cluster.Nodes, id);
        await Until(() => Polls() >= 3, "the first polls");
        // The other nodes learn of the camera at their next pass over the store (within 10 s); from then on each could poll.
        await Until(() => cluster.Nodes.All(n => n.Services.GetRequiredService<CameraRuntimes>().Find(id) is not null), "every node to know the camera");
        // One poller at one image a second; three would make three times as many requests.
        var before = Polls();
        await Task.Delay(TimeSpan.FromSeconds(4));
        var polled = Polls() - before;
        Assert.InRange(polled, 2, 6);
        Assert.Single(cluster.Nodes, n => Held(n, id));

        // Longer than the offline threshold (1 s × 3 + 3 s): the nodes that see no images themselves must not call it offline.
        await Task.Delay(TimeSpan.FromSeconds(3));
        foreach (var node in cluster.Nodes)
        {
            using var client = node.Admin();
            Assert.Equal("online", await StatusAsync(client, id));
            Assert.Equal(_camera!.Still, await client.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg"));
            using var thumbnail = await client.GetAsync($"/api/cameras/{id}/thumbnail.jpg");
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        }

        var timeline = await admin.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/timeline");
        Assert.DoesNotContain(timeline!, e => e!["status"]!.GetValue<string>() == "offline");

        // GET /api/cluster names the holder of the camera's lease, from any node.
        var nodes = (await admin.GetFromJsonAsync<JsonObject>("/api/cluster"))!["nodes"]!.AsArray();
        var owner = Assert.Single(nodes, n => n!["roles"]!.AsArray().Any(r => r!.GetValue<string>() == CameraSupervisor.LeaseName(id)));
        Assert.Equal(NodeId(holder), owner!["id"]!.GetValue<string>());

        var holderId = NodeId(holder);
        holder.Dispose();
        var stopped = Stopwatch.StartNew();
        var survivors = cluster.Nodes.Where(n => n != holder).ToList();
        // Released on the way out (the row is gone, or already another node's), so taken at the next ask (1 s).
        var leases = await survivors[0].Services.GetRequiredService<IClusterLeases>().ListAsync(CancellationToken.None);
        Assert.DoesNotContain(leases, l => l.Name == CameraSupervisor.LeaseName(id) && l.Holder == holderId);
        var successor = await HolderAsync(survivors, id);
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(2.5), $"taken over {stopped.Elapsed} after the holder stopped");

        _camera!.Still = TestImages.Jpeg("after");
        using var other = survivors.First(n => n != successor).Admin();
        await Until(async () => (await other.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg")).SequenceEqual(_camera.Still), "the successor's snapshot");
        Assert.Single(survivors, n => Held(n, id));
    }

    [PostgresFact]
    public async Task Camera_LeaseTakenAway_HolderStopsAtOnce_AnotherNodePollsOnlyOnceItExpires_NeverTwoAtOnce()
    {
        using var cluster = await ClusterHubs.StartAsync(2, Settings());
        using var admin = cluster[0].Admin();
        var id = await CreateCameraAsync(admin);
        await HolderAsync(cluster.Nodes, id);
        await Until(() => Polls() >= 2, "the first polls");

        using var watch = new CancellationTokenSource();
        var most = 0;
        var watcher = Task.Run(async () =>
        {
            while (!watch.IsCancellationRequested)
            {
                most = Math.Max(most, cluster.Nodes.Count(n => Held(n, id)));
                await Task.Delay(20);
            }
        });

        // A holder that hung past its lease, as the cluster sees it: someone else holds it for the next 5 s.
        DateTimeOffset ghostExpires;
        await using (var pg = new Npgsql.NpgsqlConnection(cluster.ConnectionString))
        {
            await pg.OpenAsync();
            await using var steal = new Npgsql.NpgsqlCommand(
                "UPDATE cluster_leases SET holder = 'ghost/1/0', expires_at = now() + interval '5 seconds' WHERE name = @name RETURNING expires_at", pg);
            steal.Parameters.AddWithValue("name", CameraSupervisor.LeaseName(id));
            ghostExpires = new DateTimeOffset((DateTime)(await steal.ExecuteScalarAsync())!, TimeSpan.Zero);
        }

        // Renewed every second: the holder finds out at its next renewal and stops polling.
        await Until(() => cluster.Nodes.All(n => !Held(n, id)), "the holder to let go", TimeSpan.FromSeconds(3));
        await Task.Delay(TimeSpan.FromMilliseconds(1500)); // a poll already under way may still land
        var polls = Polls();
        while (DateTimeOffset.UtcNow < ghostExpires - TimeSpan.FromMilliseconds(300))
        {
            Assert.Equal(polls, Polls());
            await Task.Delay(100);
        }

        await HolderAsync(cluster.Nodes, id);
        _camera!.Still = TestImages.Jpeg("after");
        using var other = cluster[1].Admin();
        await Until(async () => (await other.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg")).SequenceEqual(_camera.Still), "a snapshot after the take-over");
        await watch.CancelAsync();
        await watcher;
        Assert.Equal(1, most);
    }

    [PostgresFact]
    public async Task Live_AskedOnANodeThatDoesNotRunTheCamera_TheHolderStartsTheRelay()
    {
        var settings = Settings();
        settings["Cameras:LiveStartTimeout"] = "00:00:01";
        // An "ffmpeg" that exits at once: the holder's worker keeps failing, which is fine, this is about who is asked to relay.
        settings["Cameras:FfmpegPath"] = "/bin/false";
        using var cluster = await ClusterHubs.StartAsync(2, settings);
        using var admin = cluster[0].Admin();
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var created = await admin.PostAsJsonAsync("/api/cameras", new
        {
            name = "bridge",
            kind = "rtsp",
            url = $"rtsp://127.0.0.1:{port}/stream",
            location = new { lat = 39.31, lon = 140.56 },
            snapshotIntervalSeconds = 60,
            liveEnabled = true,
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var holder = await HolderAsync(cluster.Nodes, id);
        var viewerNode = cluster.Nodes.Single(n => n != holder);
        Assert.False(LiveWanted(holder, id));

        using var viewer = viewerNode.Admin();
        using var playlist = await viewer.GetAsync($"/live/{id}/index.m3u8");

        // No relay output yet: "starting", from the node the viewer asked; meanwhile the holder was told.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, playlist.StatusCode);
        Assert.Equal("cameras.live_starting", (await playlist.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
        await Until(() => LiveWanted(holder, id), "the holder to want the relay", TimeSpan.FromSeconds(3));
    }

    [ToolFact("ffmpeg")]
    public async Task Start_SharedMediaFolder_KillsOnlyTheFfmpegItsOwnEarlierRunLeft_NotAnotherNodes()
    {
        var mediaRoot = Path.GetFullPath(_media);
        Directory.CreateDirectory(mediaRoot);
        string[] args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=5", "-f", "null", "-"];
        using var mine = OwnedProcess.Start("ffmpeg", args,
            new Dictionary<string, string> { [MediaEngine.MarkerVariable] = mediaRoot, [MediaEngine.NodeVariable] = "node-a" });
        using var othersNode = OwnedProcess.Start("ffmpeg", args,
            new Dictionary<string, string> { [MediaEngine.MarkerVariable] = mediaRoot, [MediaEngine.NodeVariable] = "node-b" });
        await Until(() => CameraTestHelpers.OurFfmpegs(mediaRoot).Count == 2, "both ffmpeg", TimeSpan.FromSeconds(5));

        using var hub = new HubFactory(settings: new() { ["Cluster:NodeName"] = "node-a", ["Cameras:MediaDirectory"] = mediaRoot });
        await hub.WaitReadyAsync();

        await Until(() => mine.HasExited, "node-a's own leftover to be killed", TimeSpan.FromSeconds(10));
        Assert.False(othersNode.HasExited, "another node's ffmpeg on the shared media folder must survive");
    }

    private static bool LiveWanted(HubFactory node, string id)
    {
        var runtime = node.Services.GetRequiredService<CameraRuntimes>().Find(id);
        if (runtime is null)
        {
            return false;
        }

        lock (runtime.Gate)
        {
            return runtime.LiveWanted;
        }
    }

    private Dictionary<string, string?> Settings() => new()
    {
        // Every node reads and writes the same media folder (NFS or Azure Files in production): see docs/cluster.md.
        ["Cameras:MediaDirectory"] = _media,
        ["Cameras:HealthCheckInterval"] = "00:00:00.250",
        ["Cameras:StatusDebounce"] = "00:00:00.500",
        ["Cameras:StaleGrace"] = "00:00:01",
        ["Cameras:OfflineGrace"] = "00:00:03",
        ["Cameras:RestartDelay"] = "00:00:00.500",
        ["Cameras:MaxRestartDelay"] = "00:00:02",
        ["Cameras:FetchTimeout"] = "00:00:05",
        ["Cameras:HistoryInterval"] = "00:00:00",
        ["Cameras:FrozenAfterIdentical"] = "1000", // the camera sends one picture until a test changes it; not frozen here
        ["Cameras:LeaseTimeToLive"] = "00:00:03",
        ["Cameras:LeaseRenewInterval"] = "00:00:01",
    };

    private async Task<string> CreateCameraAsync(HttpClient admin)
    {
        var response = await admin.PostAsJsonAsync("/api/cameras", new
        {
            name = "river gauge",
            kind = "jpeg-poll",
            url = $"{_camera!.BaseUrl}/snap.jpg",
            location = new { lat = 39.31, lon = 140.56 },
            snapshotIntervalSeconds = 1,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private int Polls() => _camera!.AllRequests.Count(r => r == "GET /snap.jpg");

    private static bool Held(HubFactory node, string id)
    {
        try
        {
            return node.Services.GetRequiredService<CameraRuntimes>().Find(id)?.Held == true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private static string NodeId(HubFactory node) => node.Services.GetRequiredService<ClusterNode>().Id;

    /// <summary>Waits until exactly one of <paramref name="nodes"/> holds the camera and the store names it as the holder.</summary>
    private static async Task<HubFactory> HolderAsync(IReadOnlyList<HubFactory> nodes, string id)
    {
        HubFactory? holder = null;
        await Until(async () =>
        {
            var held = nodes.Where(n => Held(n, id)).ToList();
            if (held.Count != 1)
            {
                return false;
            }

            var leases = await nodes[0].Services.GetRequiredService<IClusterLeases>().ListAsync(CancellationToken.None);
            holder = held[0];
            return leases.Any(l => l.Name == CameraSupervisor.LeaseName(id) && l.Active && l.Holder == NodeId(held[0]));
        }, "one node to hold the camera");
        return holder!;
    }

    private static async Task<string> StatusAsync(HttpClient client, string id) =>
        (await client.GetFromJsonAsync<JsonObject>($"/api/cameras/{id}"))!["status"]!.GetValue<string>();

    private static Task Until(Func<bool> condition, string what, TimeSpan? patience = null) =>
        Eventually.UntilAsync(condition, patience ?? Patience, what);

    private static Task Until(Func<Task<bool>> condition, string what, TimeSpan? patience = null) =>
        Eventually.UntilAsync(condition, patience ?? Patience, what);
}
