using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.Core.Cluster;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Jma;
using AlertHub.Server.Features.Feeds.Polling;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// Jobs that run on one node and state every node shares: the JMA poller on three nodes of one PostgreSQL store (a loopback
/// Atom feed), and staff cookies across nodes.
/// </summary>
public sealed class ClusterLeasesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [PostgresFact]
    public async Task JmaPoller_ThreeNodes_ExactlyOneFetchesAndWhenItDiesAnotherTakesOverWithoutFetchingAnythingTwice()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        var published = new List<FakeJmaTelegram>
        {
            fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 1), At(0)),
            fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 2), At(1)),
        };
        using var cluster = await ClusterHubs.StartAsync(3, PollerSettings(fake));

        await Until(() => published.All(t => fake.RequestCount(t.Path) == 1), "the first telegrams");
        await Until(() => fake.ResponseCount(FakeJmaFeed.ExtraPath, 304) >= 5, "conditional polls");
        var holder = Assert.Single(cluster.Nodes, n => Status(n).Polling);
        foreach (var other in cluster.Nodes.Where(n => n != holder))
        {
            var status = Status(other);
            Assert.Equal(0, status.TelegramsFetched);
            Assert.All(status.Feeds, f => Assert.Equal((0, 0, 0), (f.Responses200, f.Responses304, f.Errors)));
        }

        Assert.Equal(2, Status(holder).TelegramsFetched);
        var lease = Assert.Single(await cluster[0].Services.GetRequiredService<IClusterLeases>().ListAsync(CancellationToken.None),
            l => l.Name == JmaFeedPoller.LeaseName);
        Assert.Equal(holder.Services.GetRequiredService<ClusterNode>().Id, lease.Holder);
        // Staff see the same in GET /api/cluster, from any node.
        using var viewer = cluster.Nodes.First(n => n != holder).Admin();
        var roles = (await viewer.GetFromJsonAsync<JsonObject>("/api/cluster"))!["nodes"]!.AsArray()
            .Where(n => n!["roles"]!.AsArray().Any(r => r!.GetValue<string>() == JmaFeedPoller.LeaseName)).ToList();
        Assert.Equal(lease.Holder, Assert.Single(roles)!["id"]!.GetValue<string>());

        var died = Stopwatch.StartNew();
        holder.Dispose();
        var survivors = cluster.Nodes.Where(n => n != holder).ToList();
        await Until(() => survivors.Any(n => Status(n).Polling), "another node to take polling over", TimeSpan.FromSeconds(15));
        var successor = Assert.Single(survivors, n => Status(n).Polling);
        // It starts where the dead node left off: the stored validators make its first polls 304s, not full reads.
        await Until(() => Status(successor).Feeds.All(f => f.Responses304 >= 2), "the successor's conditional polls", TimeSpan.FromSeconds(15));
        Assert.True(died.Elapsed < TimeSpan.FromSeconds(15), $"taken over after {died.Elapsed}");
        Assert.All(Status(successor).Feeds, f => Assert.Equal(0, f.Responses200));

        published.Add(fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 3), At(2)));
        await Until(() => fake.RequestCount(published[^1].Path) == 1, "the telegram published after the take-over");
        var polls = fake.RequestCount(FakeJmaFeed.EqvolPath);
        await Until(() => fake.RequestCount(FakeJmaFeed.EqvolPath) >= polls + 5, "more polls");

        Assert.All(published, t => Assert.Equal(1, fake.RequestCount(t.Path)));
        Assert.Equal(1, Status(successor).TelegramsFetched);
        Assert.Equal(0, Status(survivors.Single(n => n != successor)).TelegramsFetched);
    }

    [PostgresFact]
    public async Task JmaPoller_LeaseTakenByAnotherHolder_StopsAtOnceAndANodeTakesOverOnlyAfterItExpires()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        var first = fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 1), At(0));
        using var cluster = await ClusterHubs.StartAsync(2, PollerSettings(fake));
        await Until(() => fake.RequestCount(first.Path) == 1, "the first telegram");
        Assert.Single(cluster.Nodes, n => Status(n).Polling);

        // A node that hung past its lease, as far as this cluster can tell: someone else holds it for the next 8 s.
        DateTimeOffset ghostExpires;
        await using (var pg = new Npgsql.NpgsqlConnection(cluster.ConnectionString))
        {
            await pg.OpenAsync();
            await using var steal = new Npgsql.NpgsqlCommand(
                "UPDATE cluster_leases SET holder = 'ghost/1/0', expires_at = now() + interval '8 seconds' WHERE name = @name RETURNING expires_at", pg);
            steal.Parameters.AddWithValue("name", JmaFeedPoller.LeaseName);
            ghostExpires = new DateTimeOffset((DateTime)(await steal.ExecuteScalarAsync())!, TimeSpan.Zero);
        }

        // Renewed every 3 s by default: the holder finds out at its next renewal and stops.
        await Until(() => cluster.Nodes.All(n => !Status(n).Polling), "the holder to stop", TimeSpan.FromSeconds(5));
        var requests = FeedRequests(fake);
        var second = fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 2), At(1));
        while (DateTimeOffset.UtcNow < ghostExpires - TimeSpan.FromMilliseconds(300))
        {
            Assert.Equal(requests, FeedRequests(fake));
            Assert.All(cluster.Nodes, n => Assert.False(Status(n).Polling));
            await Task.Delay(100);
        }

        await Until(() => cluster.Nodes.Any(n => Status(n).Polling), "a node to take the expired lease", TimeSpan.FromSeconds(10));
        await Until(() => fake.RequestCount(second.Path) == 1, "the telegram published meanwhile");
        Assert.Equal(1, fake.RequestCount(first.Path));
        Assert.Single(cluster.Nodes, n => Status(n).Polling);
    }

    [PostgresFact]
    public async Task StaffCookie_SignedInOnNodeA_IsAcceptedByNodeB()
    {
        using var cluster = await ClusterHubs.StartAsync(2);
        using var onA = await cluster[0].SignInAsStaffAsync("viewer");

        using var onB = cluster[1].CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/staff/session");
        request.Headers.Add("Cookie", onA.CookieHeader());
        using var response = await onB.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(onA.Username, (await response.Content.ReadFromJsonAsync<JsonObject>())!["username"]!.GetValue<string>());
        // The ring is loaded by the store's start-up step, after the schema exists; the framework's own eager load ran
        // before it on a first start and failed on the missing table.
        Assert.DoesNotContain(cluster[1].Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>(), s => s.GetType().Name == "DataProtectionHostedService");
    }

    private static FeedPollerSnapshot Status(HubFactory hub) => hub.Services.GetRequiredService<FeedPollerStatus>().Snapshot();

    private static int FeedRequests(FakeJmaFeed fake) => fake.RequestCount(FakeJmaFeed.ExtraPath) + fake.RequestCount(FakeJmaFeed.EqvolPath);

    private static Dictionary<string, string?> PollerSettings(FakeJmaFeed fake) => new(fake.HubSettings)
    {
        ["Feeds:Jma:Interval"] = "00:00:00.200",
        ["Feeds:Jma:MaxBackoff"] = "00:00:02",
        ["Feeds:Jma:RequestTimeout"] = "00:00:05",
    };

    private static DateTimeOffset At(int minutes) => new DateTimeOffset(2024, 6, 13, 1, 0, 0, TimeSpan.Zero).AddMinutes(minutes);

    /// <summary>A small JMA-shaped telegram written for these tests.</summary>
    private static byte[] Telegram(string title, int serial) => Encoding.UTF8.GetBytes($"""
        <?xml version="1.0" encoding="UTF-8"?>
        <Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
          <Control><Title>{title}</Title><DateTime>2024-06-13T01:0{serial % 10}:00Z</DateTime><Status>訓練</Status>
          <EditorialOffice>気象庁本庁</EditorialOffice><PublishingOffice>気象庁</PublishingOffice></Control>
          <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><Title>テスト電文 {serial}</Title><Serial>{serial}</Serial></Head>
        </Report>
        """);

    private static async Task Until(Func<bool> condition, string what, TimeSpan? patience = null)
    {
        var deadline = DateTimeOffset.UtcNow + (patience ?? Patience);
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }
}
