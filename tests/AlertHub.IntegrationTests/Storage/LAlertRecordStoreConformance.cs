using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="ILAlertRecordStore"/> does, written once; each engine below runs it.</summary>
public abstract class LAlertRecordStoreConformance : IAsyncLifetime
{
    private const string Scope = "evacuation:Actual";

    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    /// <summary>Bytes a text column would not keep: a BOM, CRLF, a byte that is not UTF-8, a NUL, and Japanese in UTF-8.</summary>
    private static readonly byte[] Xml =
        [0xEF, 0xBB, 0xBF, .. "<?xml version=\"1.0\"?>\r\n<edxlde:EDXLDistribution>避難指示"u8, 0xFF, 0x00, .. "</edxlde:EDXLDistribution>\n"u8];

    private protected TestStores Stores { get; } = new();

    private ILAlertRecordStore Store { get; set; } = null!;

    private protected abstract Task<ILAlertRecordStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    private static LAlertNewRevision Revision(string document, int revision, string scope = Scope, bool open = true, byte[]? xml = null,
        string state = """{"published":[{"key":"05203-001","sort":"避難指示"}],"disasterName":"大雨"}""", string[]? nodes = null) =>
        new(document, revision, scope, "EvacuationOrder", "Actual", revision == 1 ? "Report" : "Update", $"dist-{document}-{revision}",
            $"避難指示 発令 {revision}地区（横手）", "a1b2c3", revision, xml ?? Xml, state, open, At, At.AddMinutes(revision), nodes ?? ["tokyo", "osaka"]);

    private async Task<long> PublishAsync(LAlertNewRevision revision)
    {
        await using var tx = await Store.BeginRevisionAsync(revision.Scope, CancellationToken.None);
        var seq = await Store.PublishAsync(tx, revision, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return seq;
    }

    private async Task<LAlertOpenDocument?> OpenDocumentAsync(string scope = Scope)
    {
        await using var tx = await Store.BeginRevisionAsync(scope, CancellationToken.None);
        return await Store.FindOpenDocumentAsync(tx, scope, CancellationToken.None);
    }

    [StoreFact]
    public async Task Publish_ThenRead_KeepsTheExactBytesAndEveryField()
    {
        var revision = Revision("doc-1", 1);

        var seq = await PublishAsync(revision);

        Assert.Equal(Xml, await Store.XmlAsync(seq, CancellationToken.None));
        var (pendingSeq, pendingRevision, pendingXml) = Assert.Single(await Store.PendingAsync("tokyo", 10, CancellationToken.None));
        Assert.Equal((seq, 1), (pendingSeq, pendingRevision));
        Assert.Equal(Xml, pendingXml);
        var publication = Assert.Single(await Store.ListAsync(10, CancellationToken.None));
        Assert.Equal(new LAlertPublicationRecord(seq, "doc-1", 1, "EvacuationOrder", "Actual", "Report", "dist-doc-1-1", "避難指示 発令 1地区（横手）", "a1b2c3", 1,
            publication.CreatedAt), publication);
        Assert.Equal(At.AddMinutes(1), publication.CreatedAt);
        var document = await OpenDocumentAsync();
        Assert.NotNull(document);
        Assert.Equal(("doc-1", 1, At), (document.Id, document.Revision, document.FirstCreated));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(revision.State).RootElement, JsonDocument.Parse(document.State).RootElement));
        Assert.Null(await Store.XmlAsync(seq + 1000, CancellationToken.None));
    }

    [StoreFact]
    public async Task Publish_WithoutAlertOrNodes_StoresNullsAndNoSends()
    {
        var seq = await PublishAsync(Revision("shelters", 1, "shelter:Actual", nodes: []) with { AlertId = null, AlertVersion = null });

        var publication = Assert.Single(await Store.ListAsync(10, CancellationToken.None));
        Assert.Null(publication.AlertId);
        Assert.Null(publication.AlertVersion);
        Assert.Empty(await Store.SendsAsync([seq], CancellationToken.None));
    }

    [StoreFact]
    public async Task Revision_NotCommitted_WritesNothing()
    {
        await using (var tx = await Store.BeginRevisionAsync(Scope, CancellationToken.None))
        {
            var seq = await Store.PublishAsync(tx, Revision("doc-1", 1), CancellationToken.None);
            await Store.MarkAppliedAsync(tx, "a1b2c3", 1, seq, CancellationToken.None);
        }

        Assert.Empty(await Store.ListAsync(10, CancellationToken.None));
        Assert.Empty(await Store.PendingAsync("tokyo", 10, CancellationToken.None));
        Assert.Null(await OpenDocumentAsync());
        await using var check = await Store.BeginRevisionAsync(Scope, CancellationToken.None);
        Assert.Equal((false, (long?)null), await Store.FindAppliedAsync(check, "a1b2c3", 1, CancellationToken.None));
    }

    [StoreFact]
    public async Task Applied_RemembersThePublicationOrThatThereWasNone()
    {
        var seq = await PublishAsync(Revision("doc-1", 1));
        await using (var tx = await Store.BeginRevisionAsync(Scope, CancellationToken.None))
        {
            await Store.MarkAppliedAsync(tx, "a1b2c3", 1, seq, CancellationToken.None);
            await Store.MarkAppliedAsync(tx, "a1b2c3", 2, null, CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }

        await using var read = await Store.BeginRevisionAsync(Scope, CancellationToken.None);
        Assert.Equal((true, (long?)seq), await Store.FindAppliedAsync(read, "a1b2c3", 1, CancellationToken.None));
        Assert.Equal((true, (long?)null), await Store.FindAppliedAsync(read, "a1b2c3", 2, CancellationToken.None));
        Assert.Equal((false, (long?)null), await Store.FindAppliedAsync(read, "a1b2c3", 3, CancellationToken.None));
    }

    [StoreFact]
    public async Task Publish_SameRevisionOfADocumentTwice_Throws()
    {
        await PublishAsync(Revision("doc-1", 1));

        await Assert.ThrowsAnyAsync<Exception>(() => PublishAsync(Revision("doc-1", 1)));

        Assert.Single(await Store.ListAsync(10, CancellationToken.None));
    }

    [StoreFact]
    public async Task Publish_NextRevision_AdvancesTheDocumentAndAClosingOneEndsIt()
    {
        await PublishAsync(Revision("doc-1", 1));
        await PublishAsync(Revision("doc-1", 2, state: """{"published":[]}"""));
        var open = await OpenDocumentAsync();
        Assert.Equal(("doc-1", 2, At), (open!.Id, open.Revision, open.FirstCreated));
        Assert.Equal("""{"published":[]}""", JsonSerializer.Serialize(JsonDocument.Parse(open.State).RootElement));

        await PublishAsync(Revision("doc-1", 3, open: false));

        Assert.Null(await OpenDocumentAsync());
        Assert.Equal([3, 2, 1], (await Store.ListAsync(10, CancellationToken.None)).Select(p => p.Revision));
    }

    [StoreFact]
    public async Task SaveState_ReplacesTheStateWithoutANewRevision()
    {
        await PublishAsync(Revision("doc-1", 1));

        await using (var tx = await Store.BeginRevisionAsync(Scope, CancellationToken.None))
        {
            await Store.SaveStateAsync(tx, "doc-1", """{"contributions":[{"alertId":"x","lifted":true}]}""", CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }

        var open = await OpenDocumentAsync();
        Assert.Equal(1, open!.Revision);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse("""{"contributions":[{"alertId":"x","lifted":true}]}""").RootElement,
            JsonDocument.Parse(open.State).RootElement));
        Assert.Single(await Store.ListAsync(10, CancellationToken.None));
    }

    [StoreFact]
    public async Task BeginRevision_WhileAnotherOfTheScopeIsOpen_WaitsAndThenSeesItsRevision()
    {
        var first = await Store.BeginRevisionAsync(Scope, CancellationToken.None);
        Assert.Null(await Store.FindOpenDocumentAsync(first, Scope, CancellationToken.None));

        var second = Task.Run(async () =>
        {
            await using var tx = await Store.BeginRevisionAsync(Scope, CancellationToken.None);
            var doc = await Store.FindOpenDocumentAsync(tx, Scope, CancellationToken.None);
            await Store.PublishAsync(tx, Revision(doc?.Id ?? "doc-second", (doc?.Revision ?? 0) + 1), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        });
        await Task.Delay(300);
        Assert.False(second.IsCompleted);

        await Store.PublishAsync(first, Revision("doc-first", 1), CancellationToken.None);
        await first.CommitAsync(CancellationToken.None);
        await first.DisposeAsync();
        await second;

        Assert.Equal([("doc-first", 2), ("doc-first", 1)], (await Store.ListAsync(10, CancellationToken.None)).Select(p => (p.DocumentId, p.Revision)));
        Assert.Equal(("doc-first", 2), (await OpenDocumentAsync()) is { } d ? (d.Id, d.Revision) : default);
    }

    [StoreFact]
    public async Task Publishers_RacingOnOneScope_EachBuildOnTheRevisionBefore()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await using var tx = await Store.BeginRevisionAsync(Scope, CancellationToken.None);
            var doc = await Store.FindOpenDocumentAsync(tx, Scope, CancellationToken.None);
            await Store.PublishAsync(tx, Revision(doc?.Id ?? $"doc-{i}", (doc?.Revision ?? 0) + 1), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        })));

        var publications = await Store.ListAsync(100, CancellationToken.None);
        Assert.Single(publications.Select(p => p.DocumentId).Distinct());
        Assert.Equal([8, 7, 6, 5, 4, 3, 2, 1], publications.Select(p => p.Revision));
    }

    [StoreFact]
    public async Task Sends_PendingUntilAnsweredInSeqOrder_AndRecordEachAttempt()
    {
        var one = await PublishAsync(Revision("doc-1", 1));
        var two = await PublishAsync(Revision("doc-1", 2));
        var three = await PublishAsync(Revision("doc-1", 3));

        Assert.Equal([one, two], (await Store.PendingAsync("tokyo", 2, CancellationToken.None)).Select(p => p.Seq));
        await Store.RecordSendAsync(one, "tokyo", "pending", null, "timeout", At.AddMinutes(5), CancellationToken.None);
        await Store.RecordSendAsync(one, "tokyo", "acknowledged", 0, "OK", At.AddMinutes(6), CancellationToken.None);
        await Store.RecordSendAsync(two, "tokyo", "refused", 402, "document invalid", At.AddMinutes(7), CancellationToken.None);

        Assert.Equal([three], (await Store.PendingAsync("tokyo", 10, CancellationToken.None)).Select(p => p.Seq));
        Assert.Equal([one, two, three], (await Store.PendingAsync("osaka", 10, CancellationToken.None)).Select(p => p.Seq));
        Assert.Equal((new LAlertSendRecord(one, "tokyo", "acknowledged", 2, 0, "OK", At.AddMinutes(6), At.AddMinutes(6)), 1),
            await Store.FindSendAsync(one, "tokyo", CancellationToken.None));
        Assert.Equal((new LAlertSendRecord(two, "tokyo", "refused", 1, 402, "document invalid", At.AddMinutes(7), null), 2),
            await Store.FindSendAsync(two, "tokyo", CancellationToken.None));
        Assert.Equal((new LAlertSendRecord(three, "osaka", "pending", 0, null, null, null, null), 3),
            await Store.FindSendAsync(three, "osaka", CancellationToken.None));
        Assert.Null(await Store.FindSendAsync(one, "nagoya", CancellationToken.None));
    }

    [StoreFact]
    public async Task ListAndSends_NewestFirstUpToTheLimit_SendsByNodeInCodePointOrder()
    {
        var seqs = new List<long>();
        for (var i = 1; i <= 4; i++)
        {
            seqs.Add(await PublishAsync(Revision("doc-1", i, nodes: ["tokyo", "Osaka", "大阪", "osaka"])));
        }

        var list = await Store.ListAsync(2, CancellationToken.None);
        var sends = await Store.SendsAsync([.. list.Select(p => p.Seq)], CancellationToken.None);

        Assert.Equal([seqs[3], seqs[2]], list.Select(p => p.Seq));
        Assert.Equal(new[] { seqs[2], seqs[3] }.SelectMany(s => new[] { (s, "Osaka"), (s, "osaka"), (s, "tokyo"), (s, "大阪") }),
            sends.Select(s => (s.PublicationSeq, s.Node)));
        Assert.Empty(await Store.SendsAsync([], CancellationToken.None));
    }
}

public sealed class SqliteLAlertRecordStoreTests : LAlertRecordStoreConformance
{
    private protected override async Task<ILAlertRecordStore> CreateAsync() => new SqliteLAlertRecordStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresLAlertRecordStoreTests : LAlertRecordStoreConformance
{
    private protected override async Task<ILAlertRecordStore> CreateAsync() => new PostgresLAlertRecordStore(await Stores.PostgresAsync());
}
