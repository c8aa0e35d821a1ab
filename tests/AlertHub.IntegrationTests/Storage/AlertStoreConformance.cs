using System.Text.Json.Nodes;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IAlertStore"/> and <see cref="IDraftStore"/> do, written once; each engine below runs it.</summary>
public abstract class AlertStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IAlertStore Alerts { get; set; } = null!;

    private IDraftStore Drafts { get; set; } = null!;

    private IStoreTransactions Transactions { get; set; } = null!;

    private protected abstract Task<(IAlertStore Alerts, IDraftStore Drafts, IStoreTransactions Transactions)> CreateAsync();

    public async Task InitializeAsync() => (Alerts, Drafts, Transactions) = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task IssueAndUpdate_VersionsReadBackWithTheirDocumentsAndTimes()
    {
        await IssueAsync("a1", 1, "Alert", At, expires: At.AddHours(3), headline: "避難指示");
        await IssueAsync("a1", 2, "Update", At.AddMinutes(10), headline: "避難指示（続報）");

        Assert.Equal((2, "issued"), await Alerts.GetHeadAsync("a1", CancellationToken.None));
        var versions = await Alerts.ListVersionsAsync("a1", CancellationToken.None);
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal(("Alert", At, At.AddHours(3), 120, 1_000L), (versions[0].MsgType, versions[0].IssuedAt, versions[0].ExpiresAt!.Value, versions[0].Recipients,
            versions[0].QueuedInFullAtMs!.Value));
        var document = JsonNode.Parse((await Alerts.GetDocumentAsync("a1", 2, CancellationToken.None))!)!;
        Assert.Equal("避難指示（続報）", (string?)document["texts"]!["ja"]!["headline"]);
        Assert.Null(await Alerts.GetDocumentAsync("a1", 3, CancellationToken.None));
        Assert.Null(await Alerts.GetHeadAsync("nope", CancellationToken.None));
    }

    [StoreFact]
    public async Task Document_ReadsBackWithItsLanguagesInTheOrderTheyWereWritten()
    {
        // Without Japanese, the first text is the one a channel with room for one language sends.
        const string Document = """{"id":"a1","texts":{"vi":{"headline":"Lũ"},"en":{"headline":"Flood"},"pt":{"headline":"Enchente"}}}""";
        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            await Alerts.AdvanceAsync(tx, "a1", 1, "issued", false, At, "tanaka", CancellationToken.None);
            await Alerts.InsertVersionAsync(tx, Version("a1", 1, "Alert", At, null, "x") with { Document = Document }, CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }

        var texts = JsonNode.Parse((await Alerts.GetDocumentAsync("a1", 1, CancellationToken.None))!)!["texts"]!.AsObject();
        Assert.Equal(["vi", "en", "pt"], texts.Select(t => t.Key));
        var listed = JsonNode.Parse(Assert.Single(await Alerts.CurrentDocumentsAsync(10, CancellationToken.None)))!["texts"]!.AsObject();
        Assert.Equal(["vi", "en", "pt"], listed.Select(t => t.Key));
    }

    [StoreFact]
    public async Task Advance_FromAVersionThatIsNotCurrent_OrACancelledAlert_IsRefused_AndAnEndedAlertTakesOnlyACancel()
    {
        await IssueAsync("a1", 1, "Alert", At);
        Assert.False(await AdvanceAsync("a1", 3, "issued", isCancel: false));
        await IssueAsync("ended", 1, "Alert", At);
        Assert.True(await AdvanceAsync("ended", 2, "ended", isCancel: false));
        Assert.False(await AdvanceAsync("ended", 3, "issued", isCancel: false));
        Assert.True(await AdvanceAsync("ended", 3, "cancelled", isCancel: true));
        Assert.False(await AdvanceAsync("ended", 4, "cancelled", isCancel: true));
    }

    [StoreFact]
    public async Task Advance_FourWritersOfTheSameNextVersion_ExactlyOneWins()
    {
        await IssueAsync("a1", 1, "Alert", At);
        using var start = new ManualResetEventSlim();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await AdvanceAsync("a1", 2, "issued", isCancel: false);
        })).Append(Task.Run(() => { start.Set(); return false; })));

        Assert.Equal(1, results.Count(r => r));
        Assert.Equal((2, "issued"), await Alerts.GetHeadAsync("a1", CancellationToken.None));
    }

    [StoreFact]
    public async Task NothingCommitted_WhenTheIssuingTransactionIsNotCommitted()
    {
        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.True(await Alerts.AdvanceAsync(tx, "a1", 1, "issued", false, At, "tanaka", CancellationToken.None));
            await Alerts.InsertVersionAsync(tx, Version("a1", 1, "Alert", At, null, "x"), CancellationToken.None);
        }

        Assert.Null(await Alerts.GetHeadAsync("a1", CancellationToken.None));
        Assert.Empty(await Alerts.ListVersionsAsync("a1", CancellationToken.None));
    }

    [StoreFact]
    public async Task Queueing_InParts_IsUnfinishedUntilCompleted_AndAPartIsQueuedOnlyWhileItsVersionIsCurrent()
    {
        await IssueAsync("a1", 1, "Alert", At, queuedInFull: false);
        Assert.Equal([("a1", 1)], await Alerts.UnfinishedQueueingAsync(CancellationToken.None));
        Assert.Equal(QueueingCheck.Queueing, await CheckAsync("a1", 1, owner: null));

        await IssueAsync("a1", 2, "Cancel", At.AddMinutes(1));
        Assert.Equal(QueueingCheck.Superseded, await CheckAsync("a1", 1, owner: null));

        Assert.True(await Alerts.CompleteQueueingAsync("a1", 1, owner: null, 9_000, CancellationToken.None));
        Assert.Empty(await Alerts.UnfinishedQueueingAsync(CancellationToken.None));
        Assert.Equal(9_000L, (await Alerts.ListVersionsAsync("a1", CancellationToken.None))[0].QueuedInFullAtMs);
    }

    [StoreFact]
    public async Task QueueingTakenOver_TheFormerQueuerIsRefused_AndOnlyTheNewOwnerFinishesIt()
    {
        await IssueAsync("a1", 1, "Alert", At, queuedInFull: false);

        Assert.True(await Alerts.TakeOverQueueingAsync("a1", 1, "node-b/1", CancellationToken.None));
        Assert.Equal(QueueingCheck.TakenOver, await CheckAsync("a1", 1, owner: null));
        Assert.Equal(QueueingCheck.Queueing, await CheckAsync("a1", 1, owner: "node-b/1"));
        Assert.False(await Alerts.CompleteQueueingAsync("a1", 1, owner: null, 9_000, CancellationToken.None));
        Assert.Equal([("a1", 1)], await Alerts.UnfinishedQueueingAsync(CancellationToken.None));

        // A third node takes over from the second (which died too): the second is refused in turn.
        Assert.True(await Alerts.TakeOverQueueingAsync("a1", 1, "node-c/1", CancellationToken.None));
        Assert.Equal(QueueingCheck.TakenOver, await CheckAsync("a1", 1, owner: "node-b/1"));
        Assert.True(await Alerts.CompleteQueueingAsync("a1", 1, owner: "node-c/1", 9_000, CancellationToken.None));
        Assert.Empty(await Alerts.UnfinishedQueueingAsync(CancellationToken.None));

        // A finished version is nobody's to take over.
        Assert.False(await Alerts.TakeOverQueueingAsync("a1", 1, "node-d/1", CancellationToken.None));
    }

    [StoreFact]
    public async Task TakeOver_WaitsForAPartBeingQueued_SoThatPartIsCountedOrRefusedNeverBoth()
    {
        await IssueAsync("a1", 1, "Alert", At, queuedInFull: false);
        Task<bool> takeOver;
        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.Equal(QueueingCheck.Queueing, await Alerts.CheckQueueingAsync(tx, "a1", 1, owner: null, CancellationToken.None));
            takeOver = Task.Run(() => Alerts.TakeOverQueueingAsync("a1", 1, "node-b/1", CancellationToken.None));
            await Task.Delay(500);
            Assert.False(takeOver.IsCompleted, "the take-over did not wait for the part being queued");
            await tx.CommitAsync(CancellationToken.None);
        }

        Assert.True(await takeOver.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(QueueingCheck.TakenOver, await CheckAsync("a1", 1, owner: null));
    }

    private async Task<QueueingCheck> CheckAsync(string alertId, int version, string? owner)
    {
        await using var tx = await Transactions.BeginAsync(CancellationToken.None);
        return await Alerts.CheckQueueingAsync(tx, alertId, version, owner, CancellationToken.None);
    }

    [StoreFact]
    public async Task List_NewestFirstByTheInstantNotTheText_WithStateAndTimeFilters()
    {
        // Created in +09:00 and UTC: ordered by the instant they name.
        await IssueAsync("tokyo", 1, "Alert", At, expires: At.AddHours(1));
        await IssueAsync("utc", 1, "Alert", At.ToUniversalTime().AddMinutes(30), expires: At.AddHours(6));
        await IssueAsync("gone", 1, "Alert", At.AddMinutes(45));
        await IssueAsync("gone", 2, "Cancel", At.AddMinutes(50));

        Assert.Equal(["gone", "utc", "tokyo"], (await ListAsync()).Select(r => r.Id));
        Assert.Equal(["tokyo"], (await ListAsync(state: "expired", now: At.AddHours(2))).Select(r => r.Id));
        Assert.Equal(["utc"], (await ListAsync(state: "active", now: At.AddHours(2))).Select(r => r.Id));
        Assert.Equal(["gone"], (await ListAsync(state: "cancelled")).Select(r => r.Id));
        Assert.Equal(["utc", "tokyo"], (await ListAsync(before: At.AddMinutes(45))).Select(r => r.Id));
        Assert.Equal(["gone", "utc"], (await ListAsync(from: At.AddMinutes(30))).Select(r => r.Id));
        Assert.Equal(["tokyo"], (await ListAsync(to: At.AddMinutes(1))).Select(r => r.Id));
        Assert.Single(await ListAsync(limit: 1));
        var gone = (await ListAsync()).Single(r => r.Id == "gone");
        Assert.Equal((2, "cancelled", At.AddMinutes(45), At.AddMinutes(50)), (gone.CurrentVersion, gone.State, gone.CreatedAt, gone.IssuedAt));
    }

    [StoreFact]
    public async Task List_Words_AreFoundInAnyVersionAndLanguage_AndPercentAndUnderscoreAreLiteral()
    {
        await IssueAsync("flood", 1, "Alert", At, headline: "大雨警報");
        await IssueAsync("flood", 2, "Update", At.AddMinutes(5), headline: "Heavy rain 100%");
        await IssueAsync("other", 1, "Alert", At.AddMinutes(1), headline: "Heavy rain 1000");

        Assert.Equal(["flood"], (await ListAsync(words: "大雨")).Select(r => r.Id));
        Assert.Equal(["flood"], (await ListAsync(words: "100%")).Select(r => r.Id));
        Assert.Equal(["other", "flood"], (await ListAsync(words: "HEAVY rain")).Select(r => r.Id));
        Assert.Empty(await ListAsync(words: "rain_1"));
        Assert.Equal(["other"], (await ListAsync(status: "Exercise")).Select(r => r.Id));
    }

    [StoreFact]
    public async Task People_AnApprovedDraftNamesAuthorAndApprover_AndAcknowledgementsAreCountedOnce()
    {
        await Drafts.InsertAsync(Draft("d1"), CancellationToken.None);
        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.True(await Drafts.DecideAsync("d1", "approved", At, "sato", null, "a1", CancellationToken.None, tx));
            Assert.True(await Alerts.AdvanceAsync(tx, "a1", 1, "issued", false, At, "sato", CancellationToken.None));
            await Alerts.InsertVersionAsync(tx, Version("a1", 1, "Alert", At, null, "x"), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }

        var resident = Guid.NewGuid();
        Assert.True(await Alerts.AcknowledgeAsync("a1", resident, At.AddMinutes(2), "web", CancellationToken.None));
        Assert.True(await Alerts.AcknowledgeAsync("a1", resident, At.AddMinutes(3), "voice", CancellationToken.None));
        Assert.False(await Alerts.AcknowledgeAsync("nope", resident, At, "web", CancellationToken.None));

        var people = await Alerts.PeopleAsync("a1", CancellationToken.None);
        Assert.Equal(new AlertPeople("sato", "tanaka", "sato", null, 1, 0, 0), people);
        Assert.Equal(1, await Alerts.AcknowledgementCountAsync("a1", CancellationToken.None));
        Assert.Equal(At.AddMinutes(2), (await Alerts.AcknowledgementsAsync(resident, CancellationToken.None))["a1"]);
        Assert.Null(await Alerts.PeopleAsync("nope", CancellationToken.None));
    }

    [StoreFact]
    public async Task CurrentDocuments_AreEachAlertsNewestVersion_NewestFirst()
    {
        await IssueAsync("a1", 1, "Alert", At, headline: "first");
        await IssueAsync("a2", 1, "Alert", At.AddMinutes(1), headline: "second");
        await IssueAsync("a1", 2, "Update", At.AddMinutes(2), headline: "first, updated");

        var documents = (await Alerts.CurrentDocumentsAsync(10, CancellationToken.None)).Select(d => (string?)JsonNode.Parse(d)!["texts"]!["ja"]!["headline"]);

        Assert.Equal(["first, updated", "second"], documents);
    }

    [StoreFact]
    public async Task Drafts_ReadBackEveryField_NewestFirst_AndFilteredByState()
    {
        await Drafts.InsertAsync(Draft("old") with { SourceEventId = "jma-1", Rule = "大雨", UpdatesAlertId = "a9" }, CancellationToken.None);
        await Drafts.InsertAsync(Draft("new") with { CreatedAt = At.AddMinutes(1) }, CancellationToken.None);
        await Drafts.DecideAsync("old", "rejected", At.AddMinutes(5), "sato", "重複", null, CancellationToken.None);

        Assert.Equal(["new", "old"], (await Drafts.ListAsync(null, CancellationToken.None)).Select(d => d.Id));
        Assert.Equal(["new"], (await Drafts.ListAsync("pending", CancellationToken.None)).Select(d => d.Id));
        var old = await Drafts.GetAsync("old", CancellationToken.None);
        Assert.Equal(Draft("old") with
        {
            SourceEventId = "jma-1", Rule = "大雨", UpdatesAlertId = "a9", State = "rejected", DecidedAt = At.AddMinutes(5), DecidedBy = "sato", Reason = "重複",
            Request = old!.Request,
        }, old);
        Assert.Equal("望月", (string?)JsonNode.Parse(old.Request)!["event"]);
        Assert.Null(await Drafts.GetAsync("nope", CancellationToken.None));
    }

    [StoreFact]
    public async Task Decide_FourApproversAtOnce_ExactlyOneDecides_AndARolledBackDecisionLeavesItPending()
    {
        await Drafts.InsertAsync(Draft("d1"), CancellationToken.None);
        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.True(await Drafts.DecideAsync("d1", "approved", At, "sato", null, "a1", CancellationToken.None, tx));
        }

        Assert.Equal("pending", (await Drafts.GetAsync("d1", CancellationToken.None))!.State);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(n =>
            Task.Run(() => Drafts.DecideAsync("d1", "approved", At, $"approver{n}", null, $"a{n}", CancellationToken.None))));

        Assert.Equal(1, results.Count(r => r));
        Assert.Equal("approved", (await Drafts.GetAsync("d1", CancellationToken.None))!.State);
    }

    private static StoredDraft Draft(string id) =>
        new(id, """{"event":"望月","areaIds":["052035"]}""", null, null, "pending", At, "tanaka", null, null, null, null, null);

    private static StoredAlertVersion Version(string id, int version, string msgType, DateTimeOffset issued, DateTimeOffset? expires, string headline,
        bool queuedInFull = true, string status = "Actual") =>
        new(id, version, msgType, issued, expires, 33, 120, new JsonObject
        {
            ["id"] = id, ["status"] = status, ["event"] = "Flood", ["areaName"] = "横手市",
            ["texts"] = new JsonObject
            {
                ["ja"] = new JsonObject { ["headline"] = headline, ["body"] = "本文" },
                ["en"] = new JsonObject { ["headline"] = "EN " + headline },
            },
        }.ToJsonString(), queuedInFull, queuedInFull ? 1_000 : null);

    private async Task<bool> AdvanceAsync(string id, int version, string state, bool isCancel)
    {
        await using var tx = await Transactions.BeginAsync(CancellationToken.None);
        var advanced = await Alerts.AdvanceAsync(tx, id, version, state, isCancel, At, "tanaka", CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return advanced;
    }

    private async Task IssueAsync(string id, int version, string msgType, DateTimeOffset issued, DateTimeOffset? expires = null, string headline = "見出し",
        bool queuedInFull = true)
    {
        var status = id == "other" ? "Exercise" : "Actual";
        await using var tx = await Transactions.BeginAsync(CancellationToken.None);
        Assert.True(await Alerts.AdvanceAsync(tx, id, version, msgType == "Cancel" ? "cancelled" : "issued", msgType == "Cancel", issued, "tanaka",
            CancellationToken.None));
        await Alerts.InsertVersionAsync(tx, Version(id, version, msgType, issued, expires, headline, queuedInFull, status), CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }

    private Task<IReadOnlyList<AlertRow>> ListAsync(string? words = null, string? status = null, string? state = null, DateTimeOffset? now = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, DateTimeOffset? before = null, int limit = 50) =>
        Alerts.ListAsync(new AlertQuery(words, status, state, now ?? At, from, to, before, limit), CancellationToken.None);
}

public sealed class SqliteAlertStoreTests : AlertStoreConformance
{
    private protected override async Task<(IAlertStore Alerts, IDraftStore Drafts, IStoreTransactions Transactions)> CreateAsync()
    {
        var database = await Stores.SqliteAsync();
        return (new SqliteAlertStore(database), new SqliteDraftStore(database), new SqliteStoreTransactions(database));
    }
}

[PostgresEngine]
public sealed class PostgresAlertStoreTests : AlertStoreConformance
{
    private protected override async Task<(IAlertStore Alerts, IDraftStore Drafts, IStoreTransactions Transactions)> CreateAsync()
    {
        var dataSource = await Stores.PostgresAsync();
        return (new PostgresAlertStore(dataSource), new PostgresDraftStore(dataSource), new PostgresStoreTransactions(dataSource));
    }
}
