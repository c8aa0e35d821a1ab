using System.Collections.Concurrent;
using System.Text;
using AlertHub.Core.Feeds;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Jma;
using AlertHub.Server.Features.Feeds.Polling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Feeds.Polling;

public sealed class JmaFeedPollerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Poller_PublishedTelegrams_AreHandedOverExactlyOnceAcrossCyclesAndARestart()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        var dataDirectory = HubFactory.NewDataDirectory();
        var published = new List<FakeJmaTelegram>
        {
            fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 1), At(0)),
            fake.Publish("VXSE51", Telegram("震度速報", 2), At(1)),
            fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 3), At(2)),
        };
        Assert.Equal(2, published.Count(t => t.Feed == "eqvol"));

        var first = new RecordingIntake();
        using (var hub = StartHub(fake, first, dataDirectory))
        {
            await hub.WaitReadyAsync();
            await Until(() => first.Count == 3, "the first three telegrams");
            // Many more cycles: nothing is handed over again, and unchanged feeds are answered 304.
            await Until(() => fake.ResponseCount(FakeJmaFeed.ExtraPath, 304) >= 5 && fake.ResponseCount(FakeJmaFeed.EqvolPath, 304) >= 5, "conditional polls");
            published.Add(fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 4), At(3)));
            await Until(() => first.Count == 4, "the telegram published while running");
            var extra304 = fake.ResponseCount(FakeJmaFeed.ExtraPath, 304);
            await Until(() => fake.ResponseCount(FakeJmaFeed.ExtraPath, 304) >= extra304 + 5, "more conditional polls");

            Assert.Equal(4, first.Count);
            Assert.Equal(published.Select(t => t.Url).Order(), first.Received.Select(r => r.Origin).Order());
            Assert.All(first.Received, r =>
            {
                Assert.Equal(FeedSource.Jma, r.Source);
                Assert.Equal(published.Single(t => t.Url == r.Origin).Bytes, r.Bytes);
            });
            // Full fetches only when a feed changed: extra once, eqvol once plus once after the 4th telegram.
            Assert.Equal(1, fake.ResponseCount(FakeJmaFeed.ExtraPath, 200));
            Assert.Equal(2, fake.ResponseCount(FakeJmaFeed.EqvolPath, 200));
            Assert.True(fake.ResponseCount(FakeJmaFeed.ExtraPath, 304) >= 10);

            var status = hub.Services.GetRequiredService<FeedPollerStatus>().Snapshot();
            Assert.True(status.Enabled);
            Assert.Equal(4, status.EntriesSeen);
            Assert.Equal(4, status.TelegramsFetched);
            Assert.Equal(0, status.TelegramsFailed);
            Assert.All(status.Feeds, f =>
            {
                Assert.NotNull(f.LastSuccessAt);
                Assert.Null(f.LastError);
            });
        }

        var second = new RecordingIntake();
        using (var hub = StartHub(fake, second, dataDirectory))
        {
            await hub.WaitReadyAsync();
            published.Add(fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 5), At(4)));
            await Until(() => second.Count >= 1, "the telegram published after the restart");
            var eqvol304 = fake.ResponseCount(FakeJmaFeed.EqvolPath, 304);
            await Until(() => fake.ResponseCount(FakeJmaFeed.EqvolPath, 304) >= eqvol304 + 5, "conditional polls after the restart");

            var only = Assert.Single(second.Received);
            Assert.Equal(published[^1].Url, only.Origin);
            var status = hub.Services.GetRequiredService<FeedPollerStatus>().Snapshot();
            Assert.Equal(1, status.TelegramsFetched);
        }

        Assert.All(published, t => Assert.Equal(1, fake.RequestCount(t.Path)));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Poller_FeedAnswers500_BacksOffThenRecovers()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        var intake = new RecordingIntake();
        using var hub = StartHub(fake, intake);
        await hub.WaitReadyAsync();
        var status = hub.Services.GetRequiredService<FeedPollerStatus>();
        await Until(() => status.Feed(fake.ExtraUrl)?.LastSuccessAt is not null, "a first successful poll");

        fake.FailNext(4, 500, FakeJmaFeed.ExtraPath);
        var extraBefore = fake.RequestCount(FakeJmaFeed.ExtraPath);
        var eqvolBefore = fake.RequestCount(FakeJmaFeed.EqvolPath);
        var started = DateTimeOffset.UtcNow;
        var telegram = fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 1), At(0));
        await Until(() => status.Feed(fake.ExtraUrl)!.ConsecutiveFailures >= 2, "the failures to be seen");
        Assert.Contains("500", status.Feed(fake.ExtraUrl)!.LastError, StringComparison.Ordinal);
        Assert.Contains("500", status.Snapshot().LastError, StringComparison.Ordinal);

        await Until(() => intake.Count == 1, "the telegram after recovery");
        var elapsed = DateTimeOffset.UtcNow - started;
        var feed = status.Feed(fake.ExtraUrl)!;
        Assert.Equal(0, feed.ConsecutiveFailures);
        Assert.Equal(4, feed.Errors);
        Assert.True(feed.LastSuccessAt > feed.LastErrorAt);
        Assert.Equal(telegram.Url, Assert.Single(intake.Received).Origin);
        // Four failures at a 200 ms interval would be over in < 1 s without backoff; doubling from 400 ms
        // (±20%, capped at 2 s) needs ≥ 320 + 640 + 1280 + 1600 ms before the fifth request.
        Assert.True(elapsed >= TimeSpan.FromSeconds(3.5), $"recovered after only {elapsed}");
        Assert.Equal(4, fake.ResponseCount(FakeJmaFeed.ExtraPath, 500));
        Assert.True(fake.RequestCount(FakeJmaFeed.ExtraPath) - extraBefore <= 6);
        // The healthy feed kept its own pace meanwhile.
        Assert.True(fake.RequestCount(FakeJmaFeed.EqvolPath) - eqvolBefore >= 8);
    }

    [Fact]
    public async Task Poller_FailedTelegramFetch_IsRetriedNextCycleAndHandedOverOnce()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        var telegram = fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 1), At(0));
        fake.FailNext(2, 503, telegram.Path);
        var intake = new RecordingIntake { ThrowNext = 1 };
        using var hub = StartHub(fake, intake);
        await hub.WaitReadyAsync();

        await Until(() => intake.Count == 1, "the telegram after its failures");
        var status = hub.Services.GetRequiredService<FeedPollerStatus>();
        var polls = fake.RequestCount(FakeJmaFeed.EqvolPath);
        await Until(() => fake.RequestCount(FakeJmaFeed.EqvolPath) >= polls + 5, "more polls");

        Assert.Equal(1, intake.Count);
        Assert.Equal(1, intake.Thrown);
        // Two 503s, one fetch whose intake threw, one that was accepted.
        Assert.Equal(4, fake.RequestCount(telegram.Path));
        Assert.Equal(3, status.Snapshot().TelegramsFailed);
        Assert.Equal(1, status.Snapshot().EntriesSeen);
    }

    /// <summary>
    /// While the database fails over every intake fails; that is not the telegram's fault. Counted as attempts, a telegram
    /// met during a promotion longer than MaxTelegramAttempts cycles was given up and never read.
    /// </summary>
    [Fact]
    public async Task Poller_IntakeMeetsTheStoreFailingOver_KeepsTheTelegramUntilItIsTaken_NotGivenUp()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 1), At(0));
        var intake = new RecordingIntake { ThrowNext = 6, Throw = () => new StoreFailingOver() };
        using var hub = StartHub(fake, intake, settings: new() { ["Feeds:Jma:MaxTelegramAttempts"] = "2" }, storeFaults: new FailingOverIsUnavailable());
        await hub.WaitReadyAsync();

        await Until(() => intake.Count == 1, "the telegram once the store takes it");

        Assert.Equal(6, intake.Thrown);
        Assert.Equal(1, hub.Services.GetRequiredService<FeedPollerStatus>().Snapshot().EntriesSeen);
    }

    private sealed class StoreFailingOver() : Exception("the store is failing over");

    private sealed class FailingOverIsUnavailable : AlertHub.Core.Storage.IStoreFaults
    {
        public bool IsUnavailable(Exception exception) => exception is StoreFailingOver;
    }

    [Fact]
    public async Task Poller_OversizeTelegram_IsSkippedForGoodWithoutStoppingThePoller()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        var intake = new RecordingIntake();
        using var hub = StartHub(fake, intake, settings: new() { ["Feeds:Jma:MaxTelegramBytes"] = "4096" });
        await hub.WaitReadyAsync();

        var big = fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 1, padding: 10_000), At(0));
        var small = fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 2), At(1));
        await Until(() => intake.Count == 1, "the small telegram");
        var later = fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 3), At(2));
        await Until(() => intake.Count == 2, "a telegram published after the oversize one");
        var polls = fake.RequestCount(FakeJmaFeed.ExtraPath);
        await Until(() => fake.RequestCount(FakeJmaFeed.ExtraPath) >= polls + 5, "more polls");

        Assert.Equal([small.Url, later.Url], intake.Received.Select(r => r.Origin));
        Assert.Equal(1, fake.RequestCount(big.Path));
        var status = hub.Services.GetRequiredService<FeedPollerStatus>().Snapshot();
        Assert.Equal(1, status.TelegramsSkipped);
        Assert.Contains(big.Url, status.LastError, StringComparison.Ordinal);
        Assert.Contains("larger than 4096", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poller_HostileOrOversizeFeedDocument_IsReportedAndPollingContinues()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        var intake = new RecordingIntake();
        using var hub = StartHub(fake, intake, settings: new() { ["Feeds:Jma:MaxFeedBytes"] = "65536" });
        await hub.WaitReadyAsync();
        var status = hub.Services.GetRequiredService<FeedPollerStatus>();
        await Until(() => status.Feed(fake.ExtraUrl)?.LastSuccessAt is not null, "a first successful poll");

        var dtd = """
            <?xml version="1.0"?>
            <!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>
            """u8.ToArray();
        fake.ServeBodyNext(1, dtd, FakeJmaFeed.ExtraPath);
        await Until(() => status.Feed(fake.ExtraUrl)!.LastError?.Contains("feeds.xml_dtd_forbidden", StringComparison.Ordinal) == true, "the DTD refusal");
        fake.ServeBodyNext(1, new byte[100_000], FakeJmaFeed.ExtraPath);
        await Until(() => status.Feed(fake.ExtraUrl)!.LastError?.Contains("feeds.too_large", StringComparison.Ordinal) == true, "the size refusal");
        fake.ServeBodyNext(1, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>"u8.ToArray(), FakeJmaFeed.ExtraPath);
        await Until(() => status.Feed(fake.ExtraUrl)!.LastError?.Contains("feeds.xml_malformed", StringComparison.Ordinal) == true, "the malformed refusal");

        var telegram = fake.Publish("VPWW53", Telegram("気象特別警報・警報・注意報", 1), At(0));
        await Until(() => intake.Count == 1, "a telegram after the hostile documents");
        Assert.Equal(telegram.Url, Assert.Single(intake.Received).Origin);
        Assert.Equal(3, status.Feed(fake.ExtraUrl)!.Errors);
        Assert.Equal(0, status.Feed(fake.ExtraUrl)!.ConsecutiveFailures);
    }

    [Fact]
    public async Task Poller_LoopbackNotAllowed_RefusesTheFeedsAndReportsIt()
    {
        await using var fake = new FakeJmaFeed();
        await fake.StartAsync();
        fake.Publish("VXSE53", Telegram("震源・震度に関する情報", 1), At(0));
        var intake = new RecordingIntake();
        using var hub = StartHub(fake, intake, settings: new() { ["Security:OutboundUrls:AllowLoopback"] = "false" });
        await hub.WaitReadyAsync();
        var status = hub.Services.GetRequiredService<FeedPollerStatus>();

        await Until(() => status.Snapshot().Feeds.Count == 2 && status.Snapshot().Feeds.All(f => f.Refused), "both feeds refused");
        await Task.Delay(1000);

        Assert.Equal(0, fake.RequestCount(FakeJmaFeed.ExtraPath));
        Assert.Equal(0, fake.RequestCount(FakeJmaFeed.EqvolPath));
        Assert.Equal(0, intake.Count);
        Assert.All(status.Snapshot().Feeds, f =>
        {
            Assert.Contains("Loopback addresses are not allowed", f.LastError, StringComparison.Ordinal);
            Assert.Null(f.LastSuccessAt);
            Assert.Equal(0, f.Responses200);
        });
    }

    private static HubFactory StartHub(FakeJmaFeed fake, RecordingIntake intake, string? dataDirectory = null, Dictionary<string, string?>? settings = null,
        AlertHub.Core.Storage.IStoreFaults? storeFaults = null)
    {
        var all = new Dictionary<string, string?>(fake.HubSettings)
        {
            ["Feeds:Jma:Interval"] = "00:00:00.200",
            ["Feeds:Jma:MaxBackoff"] = "00:00:02",
            ["Feeds:Jma:RequestTimeout"] = "00:00:05",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        // The hub's Program does not call AddJmaFeedPolling yet; registering it here is a no-op once it does.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        return new HubFactory(dataDirectory, all, services =>
        {
            services.AddSingleton<IFeedIntake>(intake);
            if (storeFaults is not null)
            {
                services.AddSingleton(storeFaults);
            }

            services.AddJmaFeedPolling(configuration);
        });
    }

    private static DateTimeOffset At(int minutes) => new DateTimeOffset(2024, 6, 13, 1, 0, 0, TimeSpan.Zero).AddMinutes(minutes);

    /// <summary>A small JMA-shaped telegram written for these tests (the poller never interprets it).</summary>
    private static byte[] Telegram(string title, int serial, int padding = 0) => Encoding.UTF8.GetBytes($"""
        <?xml version="1.0" encoding="UTF-8"?>
        <Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
          <Control><Title>{title}</Title><DateTime>2024-06-13T01:0{serial % 10}:00Z</DateTime><Status>訓練</Status>
          <EditorialOffice>気象庁本庁</EditorialOffice><PublishingOffice>気象庁</PublishingOffice></Control>
          <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><Title>テスト電文 {serial}</Title><Serial>{serial}</Serial></Head>
          <!-- {new string('x', padding)} -->
        </Report>
        """);

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    private sealed record Handed(FeedSource Source, string Origin, byte[] Bytes);

    private sealed class RecordingIntake : IFeedIntake
    {
        private readonly ConcurrentQueue<Handed> _received = new();
        private int _thrown;

        /// <summary>Throw for this many calls first (a hub-side failure the poller must retry).</summary>
        public int ThrowNext;

        /// <summary>What is thrown (default: a hub-side failure of no known kind).</summary>
        public Func<Exception> Throw { get; init; } = () => new InvalidOperationException("intake unavailable");

        public int Count => _received.Count;

        public int Thrown => Volatile.Read(ref _thrown);

        public IReadOnlyList<Handed> Received => [.. _received];

        public Task<FeedIntakeResult> AcceptAsync(FeedSource source, ReadOnlyMemory<byte> document, string origin, CancellationToken ct)
        {
            if (Interlocked.Decrement(ref ThrowNext) >= 0)
            {
                Interlocked.Increment(ref _thrown);
                throw Throw();
            }

            _received.Enqueue(new Handed(source, origin, document.ToArray()));
            return Task.FromResult(new FeedIntakeResult(true, false, $"evt-{_received.Count}", null));
        }
    }
}
