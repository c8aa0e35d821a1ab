using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IFeedSeenStore"/> does, written once; each engine below runs it.</summary>
public abstract class FeedSeenStoreConformance : IAsyncLifetime
{
    private const string Feed = "https://www.data.jma.go.jp/developer/xml/feed/extra.xml";

    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IFeedSeenStore Store { get; set; } = null!;

    private protected abstract Task<IFeedSeenStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Mark_ThenList_ReadsBackEveryField()
    {
        var accepted = new FeedSeenEntry("urn:uuid:0001", Feed, "https://www.data.jma.go.jp/developer/xml/data/0001.xml", "accepted", At);
        var noUrl = new FeedSeenEntry("urn:uuid:0002", Feed, null, "rejected:feed_document_malformed", At.AddMinutes(1));

        Assert.True(await Store.MarkAsync(accepted, CancellationToken.None));
        Assert.True(await Store.MarkAsync(noUrl, CancellationToken.None));

        var list = await Store.ListAsync(CancellationToken.None);
        Assert.Equal([accepted, noUrl], list.OrderBy(e => e.EntryId, StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task List_NothingMarked_IsEmpty() => Assert.Empty(await Store.ListAsync(CancellationToken.None));

    [StoreFact]
    public async Task Mark_SameIdAgain_FirstMarkWins()
    {
        var first = new FeedSeenEntry("urn:uuid:0001", Feed, null, "gave_up", At);

        Assert.True(await Store.MarkAsync(first, CancellationToken.None));
        Assert.False(await Store.MarkAsync(first with { Outcome = "accepted", SeenAt = At.AddHours(1) }, CancellationToken.None));

        Assert.Equal([first], await Store.ListAsync(CancellationToken.None));
    }

    [StoreFact]
    public async Task Mark_ConcurrentMarksOfOneId_StoredOnceAndOneWins()
    {
        var marks = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            Store.MarkAsync(new FeedSeenEntry("urn:uuid:race", Feed, null, $"outcome-{i}", At.AddSeconds(i)), CancellationToken.None))));

        Assert.Single(marks, m => m);
        var stored = Assert.Single(await Store.ListAsync(CancellationToken.None));
        var winner = Array.IndexOf(marks, true);
        Assert.Equal($"outcome-{winner}", stored.Outcome);
    }

    [StoreFact]
    public async Task Prune_ForgetsOnlyOldEntriesNoFeedListsAnyMore()
    {
        var cutoff = At;
        await Store.MarkAsync(new FeedSeenEntry("old-unlisted", Feed, null, "accepted", cutoff.AddTicks(-TimeSpan.TicksPerMillisecond)), CancellationToken.None);
        await Store.MarkAsync(new FeedSeenEntry("old-listed", Feed, null, "accepted", cutoff.AddDays(-30)), CancellationToken.None);
        await Store.MarkAsync(new FeedSeenEntry("at-cutoff", Feed, null, "accepted", cutoff), CancellationToken.None);
        await Store.MarkAsync(new FeedSeenEntry("new", Feed, null, "accepted", cutoff.AddHours(1)), CancellationToken.None);

        var pruned = await Store.PruneAsync(cutoff.ToOffset(TimeSpan.Zero), new HashSet<string>(["old-listed", "elsewhere"], StringComparer.Ordinal),
            CancellationToken.None);

        Assert.Equal(["old-unlisted"], pruned);
        Assert.Equal(["at-cutoff", "new", "old-listed"], (await Store.ListAsync(CancellationToken.None)).Select(e => e.EntryId).Order(StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task ListValidators_NothingSaved_IsEmpty() => Assert.Empty(await Store.ListValidatorsAsync(CancellationToken.None));

    [StoreFact]
    public async Task SaveValidators_ThenAgain_KeepsTheLatestPerFeed()
    {
        const string Eqvol = "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml";
        var extra = new FeedValidators(Feed, "\"5f3a-61b2\"", At);
        var eqvol = new FeedValidators(Eqvol, null, At.AddMinutes(-1));

        await Store.SaveValidatorsAsync(extra, CancellationToken.None);
        await Store.SaveValidatorsAsync(eqvol, CancellationToken.None);
        await Store.SaveValidatorsAsync(extra with { ETag = "W/\"7\"", LastModified = At.AddMinutes(1) }, CancellationToken.None);
        await Store.SaveValidatorsAsync(eqvol with { ETag = null, LastModified = null }, CancellationToken.None);

        var saved = (await Store.ListValidatorsAsync(CancellationToken.None)).OrderBy(v => v.FeedUrl, StringComparer.Ordinal).ToList();
        Assert.Equal(2, saved.Count);
        Assert.Equal((Eqvol, (string?)null, (DateTimeOffset?)null), (saved[0].FeedUrl, saved[0].ETag, saved[0].LastModified));
        Assert.Equal((Feed, "W/\"7\""), (saved[1].FeedUrl, saved[1].ETag));
        Assert.Equal(At.AddMinutes(1), saved[1].LastModified);
    }

    [StoreFact]
    public async Task Prune_NothingOld_ForgetsNothing()
    {
        await Store.MarkAsync(new FeedSeenEntry("new", Feed, null, "accepted", At), CancellationToken.None);

        Assert.Empty(await Store.PruneAsync(At.AddDays(-1), new HashSet<string>(), CancellationToken.None));
        Assert.Single(await Store.ListAsync(CancellationToken.None));
    }
}

public sealed class SqliteFeedSeenStoreTests : FeedSeenStoreConformance
{
    private protected override async Task<IFeedSeenStore> CreateAsync() => new SqliteFeedSeenStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresFeedSeenStoreTests : FeedSeenStoreConformance
{
    private protected override async Task<IFeedSeenStore> CreateAsync() => new PostgresFeedSeenStore(await Stores.PostgresAsync());
}
