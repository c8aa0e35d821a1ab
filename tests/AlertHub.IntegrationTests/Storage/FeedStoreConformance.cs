using System.Text;
using System.Text.Json.Nodes;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// What every engine's <see cref="IFeedStore"/> does, written once; each engine below runs it. Feed intake relies on it for
/// its ordering and de-duplication: one row per document whoever stores it, and a series that only moves forward.
/// </summary>
public abstract class FeedStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IFeedStore Store { get; set; } = null!;

    private protected abstract Task<IFeedStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    private static NewFeedDocument Document(string sha, DateTimeOffset at, string body = "<Report/>") =>
        new(sha, "Jma", "push:tanaka", at, Encoding.UTF8.GetByteCount(body), Encoding.UTF8.GetBytes(body));

    private static NewFeedEvent Event(string id, string series = "VXSE53:20260801031400", string revision = "1", string lifecycle = "Issue",
        bool replaces = false, string family = "JMA:VXSE53", string[]? codes = null) =>
        new(id, "Jma", family, true, series, revision, lifecycle, "Actual", "earthquake", 3, At.AddSeconds(-30), "震源・震度に関する情報",
            codes ?? ["05203", "jma-seismic:320"], replaces, $$"""{"id":"{{id}}"}""");

    private Task<FeedAcceptance> AcceptAsync(string sha, NewFeedEvent e, DateTimeOffset? at = null) =>
        Store.StoreAcceptedAsync(Document(sha, at ?? At), e, CancellationToken.None);

    [StoreFact]
    public async Task StoreAccepted_NewDocument_ReadsBackEveryField()
    {
        // Shift_JIS bytes as a sender may send them, kept as sent.
        byte[] raw = [0x3C, 0x3F, 0x78, 0x6D, 0x6C, 0x20, 0x83, 0x65, 0x83, 0x58, 0x83, 0x67, 0x00, 0xFF];
        var document = new NewFeedDocument(new string('a', 64), "LAlert", null, At, 123_456, raw);
        // Property order carries meaning (the first text is the main one when none is Japanese): it must come back as written.
        const string json = """{"texts":{"en-US":{"headline":"Evacuate"},"fr":{"headline":"Évacuez"}},"source":"LAlert","areas":[{"code":"05203"}]}""";
        var e = new NewFeedEvent("e1", "LAlert", "LALERT:evacuation", false, "lalert:05203:1", "2026-08-01T12:14:00+09:00", "Update", "Exercise",
            "evacuation", 4, At.AddMinutes(-2), "避難指示（緊急）横手市十文字町", ["05203", "lalert:052035"], false, json);

        var result = await Store.StoreAcceptedAsync(document, e, CancellationToken.None);

        Assert.Equal(new FeedAcceptance(null, true, null, null), result);
        var (stored, eventJson) = (await Store.GetEventAsync("e1", CancellationToken.None))!.Value;
        Assert.Equal(json, eventJson);
        Assert.Equal(["05203", "lalert:052035"], stored.Codes);
        Assert.Equal(new StoredEvent("e1", stored.DocumentId, "LAlert", "LALERT:evacuation", false, "lalert:05203:1", "2026-08-01T12:14:00+09:00", "Update",
            "Exercise", "evacuation", 4, At.AddMinutes(-2), "避難指示（緊急）横手市十文字町", stored.Codes, true, null, null, At), stored);
        Assert.Equal(raw, await Store.GetRawAsync("e1", CancellationToken.None));
        Assert.Equal(new FeedDocumentMatch(stored.DocumentId, "e1", "accepted"), await Store.FindDocumentAsync(document.Sha256, CancellationToken.None));
        Assert.Equal([stored.Id], (await Store.ListEventsAsync(new EventFilter(null, null, null, null, null, null, 10), CancellationToken.None)).Select(s => s.Id));
    }

    [StoreFact]
    public async Task Unknown_EventOrDocument_IsNull()
    {
        Assert.Null(await Store.GetEventAsync("nope", CancellationToken.None));
        Assert.Null(await Store.GetRawAsync("nope", CancellationToken.None));
        Assert.Null(await Store.FindDocumentAsync("nope", CancellationToken.None));
    }

    [StoreFact]
    public async Task StoreAccepted_SameBytesTwice_StoredOnceAndTheSecondIsTheFirstsDuplicate()
    {
        var first = await AcceptAsync("sha-1", Event("e1"));

        var second = await AcceptAsync("sha-1", Event("e2", revision: "2"));

        Assert.Null(first.Duplicate);
        Assert.NotNull(second.Duplicate);
        Assert.Equal("e1", second.Duplicate.EventId);
        Assert.Equal("accepted", second.Duplicate.Status);
        Assert.False(second.Applied);
        Assert.Null(await Store.GetEventAsync("e2", CancellationToken.None));
        Assert.Single(await Store.ListEventsAsync(new EventFilter(null, null, null, null, null, null, 10), CancellationToken.None));
        // The second wrote nothing: its revision 2 did not advance the series, which still holds 1.
        Assert.True((await AcceptAsync("sha-3", Event("e3", revision: "1b"))).Applied);
    }

    [StoreFact]
    public async Task StoreAccepted_ConcurrentWritersOfOneDocument_StoreItOnce()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => AcceptAsync("sha-race", Event($"e{i}")))));

        var winners = results.Select((r, i) => (r, i)).Where(x => x.r.Duplicate is null).ToList();
        var (winner, index) = Assert.Single(winners);
        Assert.True(winner.Applied);
        Assert.All(results.Where(r => r.Duplicate is not null), r => Assert.Equal($"e{index}", r.Duplicate!.EventId));
        var events = await Store.ListEventsAsync(new EventFilter(null, null, null, null, null, null, 10), CancellationToken.None);
        Assert.Equal([$"e{index}"], events.Select(e => e.Id));
    }

    [StoreFact]
    public async Task StoreAccepted_SeriesMovesOnlyForward()
    {
        var first = await AcceptAsync("s2", Event("e2", revision: "2"));
        var older = await AcceptAsync("s1", Event("e1", revision: "1"));
        var sameAgain = await AcceptAsync("s2b", Event("e2b", revision: "2"));
        var correction = await AcceptAsync("s2c", Event("e2c", revision: "2", lifecycle: "Correction", replaces: true));
        var newer = await AcceptAsync("s3", Event("e3", revision: "3"));
        var otherSeries = await AcceptAsync("x1", Event("x1", series: "other", revision: "0"));

        Assert.Equal((true, (string?)null), (first.Applied, first.Reason));
        Assert.Equal((false, "older than the series' revision 2"), (older.Applied, older.Reason));
        Assert.Equal((false, "same revision 2 as the series already holds"), (sameAgain.Applied, sameAgain.Reason));
        Assert.Equal((true, (string?)null), (correction.Applied, correction.Reason));
        Assert.Equal((true, (string?)null), (newer.Applied, newer.Reason));
        Assert.True(otherSeries.Applied);
        // Events not applied are stored all the same, with the reason as their outcome.
        var (olderStored, _) = (await Store.GetEventAsync("e1", CancellationToken.None))!.Value;
        Assert.False(olderStored.Applied);
        Assert.Equal("older than the series' revision 2", olderStored.Outcome);
    }

    [StoreFact]
    public async Task StoreAccepted_RevisionsCompareOrdinally()
    {
        await AcceptAsync("a", Event("a", revision: "2026-08-01T03:14:00Z"));

        var lower = await AcceptAsync("b", Event("b", revision: "2026-08-01T03:13:59Z"));
        var upper = await AcceptAsync("c", Event("c", revision: "2026-08-01T03:14:00Zb"));

        Assert.False(lower.Applied);
        Assert.True(upper.Applied);
    }

    [StoreFact]
    public async Task SaveOutcome_StateIsWhatTheSeriesHoldsForItsLaterEvents()
    {
        var first = await AcceptAsync("d1", Event("e1", revision: "1"));
        const string state = """{"震度4以上":{"alertId":"al-1","level":4,"municipalities":["05203"],"ended":false,"cancelled":false}}""";

        await Store.SaveOutcomeAsync("e1", "VXSE53:20260801031400", "issued al-1", "al-1", state, CancellationToken.None);

        var older = await AcceptAsync("d0", Event("e0", revision: "0"));
        var newer = await AcceptAsync("d2", Event("e2", revision: "2"));
        var after = await AcceptAsync("d3", Event("e3", revision: "3"));
        Assert.Null(first.SeriesStateJson);
        foreach (var later in new[] { older, newer, after })
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(state), JsonNode.Parse(later.SeriesStateJson!)), later.SeriesStateJson);
        }

        var (stored, _) = (await Store.GetEventAsync("e1", CancellationToken.None))!.Value;
        Assert.Equal(("issued al-1", "al-1"), (stored.Outcome, stored.AlertId));
    }

    [StoreFact]
    public async Task StoreAccepted_NewSeries_StartsWithAnEmptyState()
    {
        await AcceptAsync("d1", Event("e1", revision: "1"));

        var second = await AcceptAsync("d2", Event("e2", revision: "2"));

        Assert.True(JsonNode.DeepEquals(new JsonObject(), JsonNode.Parse(second.SeriesStateJson!)), second.SeriesStateJson);
    }

    [StoreFact]
    public async Task StoreAccepted_ConcurrentWritersOfOneSeries_TakeTurnsAndEndAtTheNewestRevision()
    {
        var revisions = Enumerable.Range(1, 12).Select(i => $"{i:D2}").ToArray();

        var results = await Task.WhenAll(revisions.Select(r => Task.Run(() => AcceptAsync($"sha-{r}", Event($"e{r}", revision: r)))));

        // Whatever order they took their turns in, the newest was applied and the series holds it.
        Assert.True(results[^1].Applied);
        Assert.All(results, r => Assert.Null(r.Duplicate));
        // Each writer decided against the one before it: in the order they were stored (all received at the same instant, so
        // the list is that order reversed) an event was applied exactly when it was newer than every event before it.
        var stored = (await Store.ListEventsAsync(new EventFilter(null, null, null, null, null, null, 100), CancellationToken.None)).Reverse().ToList();
        Assert.Equal(revisions.Length, stored.Count);
        string? newest = null;
        foreach (var e in stored)
        {
            var newer = newest is null || string.CompareOrdinal(e.Revision, newest) > 0;
            Assert.True(newer == e.Applied, $"{e.Revision} applied={e.Applied} after {newest}; order {string.Join(",", stored.Select(x => x.Revision))}");
            newest = newer ? e.Revision : newest;
        }

        var late = await AcceptAsync("sha-late", Event("late", revision: "11"));
        Assert.Equal("older than the series' revision 12", late.Reason);
    }

    [StoreFact]
    public async Task Quarantine_KeepsTheDocumentApartFromEvents()
    {
        var document = new NewFeedDocument("q1", "unknown", "poll:https://example.jp/feed", At, 5_000_000, new byte[] { 1, 2, 3 });

        await Store.QuarantineAsync(document, "feed_document_too_large", "larger than 4 MiB", CancellationToken.None);
        await Store.QuarantineAsync(document with { ReceivedAt = At.AddMinutes(1) }, "other", "again", CancellationToken.None);

        var quarantined = Assert.Single(await Store.ListQuarantineAsync(10, CancellationToken.None));
        Assert.Equal(new QuarantinedDocument(quarantined.Id, "unknown", "poll:https://example.jp/feed", At, 5_000_000, "feed_document_too_large",
            "larger than 4 MiB"), quarantined);
        Assert.Equal(new FeedDocumentMatch(quarantined.Id, null, "quarantined"), await Store.FindDocumentAsync("q1", CancellationToken.None));
        Assert.Empty(await Store.ListEventsAsync(new EventFilter(null, null, null, null, null, null, 10), CancellationToken.None));
        var accepted = await AcceptAsync("q1", Event("e1"));
        Assert.Equal(new FeedDocumentMatch(quarantined.Id, null, "quarantined"), accepted.Duplicate);
    }

    [StoreFact]
    public async Task ListQuarantine_NewestFirstUpToTheLimit()
    {
        foreach (var (sha, minutes) in new[] { ("q1", 0), ("q2", 2), ("q3", 1), ("q4", 2) })
        {
            await Store.QuarantineAsync(new NewFeedDocument(sha, "Cap", null, At.AddMinutes(minutes), 1, new byte[] { 0 }), "c", sha, CancellationToken.None);
        }

        await AcceptAsync("accepted", Event("e1"), At.AddMinutes(5));

        var list = await Store.ListQuarantineAsync(3, CancellationToken.None);

        Assert.Equal(["q4", "q2", "q3"], list.Select(q => q.Reason));
    }

    [StoreFact]
    public async Task ListEvents_NewestReceivedFirstThenLaterStoredFirst_UpToTheLimit()
    {
        await AcceptAsync("d1", Event("e1", series: "s1"), At);
        await AcceptAsync("d2", Event("e2", series: "s2"), At.AddSeconds(2));
        await AcceptAsync("d3", Event("e3", series: "s3"), At.AddSeconds(1));
        await AcceptAsync("d4", Event("e4", series: "s4"), At.AddSeconds(2));

        var all = await Store.ListEventsAsync(new EventFilter(null, null, null, null, null, null, 10), CancellationToken.None);
        var two = await Store.ListEventsAsync(new EventFilter(null, null, null, null, null, null, 2), CancellationToken.None);

        Assert.Equal(["e4", "e2", "e3", "e1"], all.Select(e => e.Id));
        Assert.Equal(["e4", "e2"], two.Select(e => e.Id));
    }

    [StoreFact]
    public async Task ListEvents_EachFilterKeepsOnlyMatchingEvents()
    {
        await AcceptAsync("d1", Event("quake", series: "s1", family: "JMA:VXSE53", codes: ["05203", "jma-seismic:320"]), At);
        await AcceptAsync("d2", Event("cancel", series: "s2", lifecycle: "Cancel", family: "JMA:VXSE53", codes: ["0520300"]), At.AddMinutes(1));
        await Store.StoreAcceptedAsync(new NewFeedDocument("d3", "Cap", null, At.AddMinutes(2), 1, new byte[] { 1 }),
            Event("cap", series: "s3", family: "CAP:Flood", codes: []) with { Source = "Cap" }, CancellationToken.None);

        async Task<string[]> Ids(EventFilter filter) => [.. (await Store.ListEventsAsync(filter, CancellationToken.None)).Select(e => e.Id)];

        Assert.Equal(["cancel", "quake"], await Ids(new EventFilter(null, null, "JMA:VXSE53", null, null, null, 10)));
        Assert.Equal(["cancel"], await Ids(new EventFilter(null, null, null, null, "Cancel", null, 10)));
        Assert.Equal(["cap"], await Ids(new EventFilter(null, null, null, null, null, "Cap", 10)));
        Assert.Equal(["quake"], await Ids(new EventFilter(null, null, null, "jma-seismic:320", null, null, 10)));
        Assert.Empty(await Ids(new EventFilter(null, null, null, "0520", null, null, 10)));
        Assert.Equal(["cancel"], await Ids(new EventFilter(null, null, null, null, null, null, 10, "cancel")));
        Assert.Empty(await Ids(new EventFilter(null, null, "JMA:VXSE53", null, null, "Cap", 10)));
    }

    [StoreFact]
    public async Task ListEvents_SinceAndUntilGivenWithAnOffset_CompareAsInstants()
    {
        await AcceptAsync("d1", Event("early", series: "s1"), At);
        await AcceptAsync("d2", Event("middle", series: "s2"), At.AddHours(1));
        await AcceptAsync("d3", Event("late", series: "s3"), At.AddHours(2));
        var jst = TimeSpan.FromHours(9);

        // 13:14:15.926+09:00 is 04:14:15.926Z: as text it sorts after every UTC time stored here, as an instant it is "middle".
        var since = await Store.ListEventsAsync(new EventFilter(At.AddHours(1).ToOffset(jst), null, null, null, null, null, 10), CancellationToken.None);
        var until = await Store.ListEventsAsync(new EventFilter(null, At.AddHours(1).ToOffset(jst), null, null, null, null, 10), CancellationToken.None);
        var between = await Store.ListEventsAsync(new EventFilter(At.ToOffset(TimeSpan.FromHours(-5)), At.AddHours(2).ToOffset(jst), null, null, null, null, 10),
            CancellationToken.None);

        Assert.Equal(["late", "middle"], since.Select(e => e.Id));
        Assert.Equal(["early"], until.Select(e => e.Id));
        Assert.Equal(["middle", "early"], between.Select(e => e.Id));
    }
}

public sealed class SqliteFeedStoreTests : FeedStoreConformance
{
    private protected override async Task<IFeedStore> CreateAsync() => new SqliteFeedStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresFeedStoreTests : FeedStoreConformance
{
    private protected override async Task<IFeedStore> CreateAsync() => new PostgresFeedStore(await Stores.PostgresAsync());
}
