using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IAuditLogStore"/> does, written once; each engine below runs it.</summary>
public abstract class AuditLogStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IAuditLogStore Store { get; set; } = null!;

    private IStoreTransactions Transactions { get; set; } = null!;

    private protected abstract Task<(IAuditLogStore Store, IStoreTransactions Transactions)> CreateAsync();

    public async Task InitializeAsync() => (Store, Transactions) = await CreateAsync();

    public virtual async Task DisposeAsync() => await Stores.DisposeAsync();

    private Task AppendAsync(string actor, string action, string? target = null, string? detail = null, IStoreTransaction? tx = null) =>
        Store.AppendAsync(At, actor, action, target, detail, tx, CancellationToken.None);

    private Task<IReadOnlyList<AuditEntry>> SearchAsync(int limit = 100, long? before = null, string? action = null, string? words = null) =>
        Store.SearchAsync(new AuditQuery(limit, before, action, words), CancellationToken.None);

    [StoreFact]
    public async Task Append_ThenSearch_ReadsBackEveryField()
    {
        await Store.AppendAsync(At, "田中 太郎", "alerts.issue.bypass", "a1b2c3#1", "緊急: 承認者不在（深夜）", null, CancellationToken.None);
        await Store.AppendAsync(At.AddSeconds(1), "sato", "staff.signout", null, null, null, CancellationToken.None);

        var entries = await SearchAsync();

        Assert.Equal(2, entries.Count);
        var (latest, first) = (entries[0], entries[1]);
        Assert.True(latest.Id > first.Id);
        Assert.Equal(new AuditEntry(first.Id, first.At, "田中 太郎", "alerts.issue.bypass", "a1b2c3#1", "緊急: 承認者不在（深夜）"), first);
        Assert.Equal(At, first.At);
        Assert.Equal(At.AddSeconds(1), latest.At);
        Assert.Null(latest.Target);
        Assert.Null(latest.Detail);
    }

    [StoreFact]
    public async Task Search_PagingBackByLastId_ReturnsEveryEntryOnceNewestFirst()
    {
        for (var i = 0; i < 30; i++)
        {
            await AppendAsync("tanaka", "shelters.update", $"s{i}");
        }

        var seen = new List<AuditEntry>();
        long? before = null;
        while (await SearchAsync(limit: 7, before: before) is { Count: > 0 } page)
        {
            Assert.True(page.Count <= 7);
            seen.AddRange(page);
            before = page[^1].Id;
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"s{29 - i}"), seen.Select(e => e.Target));
        Assert.Equal(seen.Select(e => e.Id).OrderDescending(), seen.Select(e => e.Id));
    }

    [StoreFact]
    public async Task Search_ActionPrefix_ComparesExactlyWithoutWildcards()
    {
        await AppendAsync("a", "alerts.issue");
        await AppendAsync("a", "alerts.cancel");
        await AppendAsync("a", "alertsXissue");
        await AppendAsync("a", "staff.signin");
        await AppendAsync("a", "Alerts.issue");

        Assert.Equal(["alerts.cancel", "alerts.issue"], (await SearchAsync(action: "alerts.")).Select(e => e.Action));
        Assert.Empty(await SearchAsync(action: "alerts_"));
        Assert.Empty(await SearchAsync(action: "%"));
        Assert.Equal(["staff.signin"], (await SearchAsync(action: "staff.signin")).Select(e => e.Action));
    }

    [StoreFact]
    public async Task Search_Words_MatchActorTargetOrDetailFoldingAsciiCaseOnly()
    {
        await AppendAsync("Tanaka", "x", "t1", null);
        await AppendAsync("sato", "x", "Area-NORTH", null);
        await AppendAsync("sato", "x", null, "避難指示 発令 100% done");
        await AppendAsync("sato", "x", null, "ＡＢＣ full width");
        await AppendAsync("sato", "x", null, "plain");

        Assert.Equal(["Tanaka"], (await SearchAsync(words: "TANAKA")).Select(e => e.Actor));
        Assert.Equal(["Area-NORTH"], (await SearchAsync(words: "north")).Select(e => e.Target));
        Assert.Equal(["避難指示 発令 100% done"], (await SearchAsync(words: "発令")).Select(e => e.Detail));
        Assert.Equal(["避難指示 発令 100% done"], (await SearchAsync(words: "0% d")).Select(e => e.Detail));
        Assert.Empty(await SearchAsync(words: "%_"));
        Assert.Empty(await SearchAsync(words: "ａｂｃ"));
        Assert.Single(await SearchAsync(words: "ＡＢＣ"));
    }

    [StoreFact]
    public async Task Search_FiltersAndPaging_Combine()
    {
        for (var i = 0; i < 12; i++)
        {
            await AppendAsync(i % 2 == 0 ? "tanaka" : "sato", i % 3 == 0 ? "alerts.issue" : "areas.create", $"t{i}");
        }

        var pages = new List<string?>();
        long? before = null;
        while (await SearchAsync(limit: 1, before: before, action: "alerts.", words: "TANAKA") is { Count: > 0 } page)
        {
            pages.Add(page[0].Target);
            before = page[0].Id;
        }

        Assert.Equal(["t6", "t0"], pages);
    }

    [StoreFact]
    public async Task Append_InTransaction_CommitsWithItOrNotAtAll()
    {
        await using (var rolledBack = await Transactions.BeginAsync(CancellationToken.None))
        {
            await AppendAsync("tanaka", "areas.delete", "gone", tx: rolledBack);
        }

        await using (var committed = await Transactions.BeginAsync(CancellationToken.None))
        {
            await AppendAsync("tanaka", "areas.delete", "kept", tx: committed);
            await committed.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(["kept"], (await SearchAsync()).Select(e => e.Target));
    }

    [StoreFact]
    public async Task Append_Concurrently_EveryEntryOnceWithDistinctIds()
    {
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => AppendAsync(i % 2 == 0 ? "even" : "odd", "x", $"t{i}"))));

        var seen = new List<AuditEntry>();
        long? before = null;
        while (await SearchAsync(limit: 6, before: before, words: "even") is { Count: > 0 } page)
        {
            seen.AddRange(page);
            before = page[^1].Id;
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"t{i * 2}").Order(StringComparer.Ordinal), seen.Select(e => e.Target!).Order(StringComparer.Ordinal));
        Assert.Equal(seen.Select(e => e.Id).Distinct().OrderDescending(), seen.Select(e => e.Id));
        Assert.Equal(40, (await SearchAsync(limit: 1000)).Select(e => e.Id).Distinct().Count());
    }

    [StoreFact]
    public async Task FirstDetails_GivesEachTargetsFirstDetailForThatActionOnly()
    {
        await AppendAsync("tanaka", "alerts.issue.bypass", "a1", "承認者不在");
        await AppendAsync("tanaka", "alerts.issue.bypass", "a1", "later reason");
        await AppendAsync("tanaka", "alerts.issue", "a2", "not a bypass");
        await AppendAsync("tanaka", "alerts.issue.bypass", "a3", null);
        await AppendAsync("tanaka", "alerts.issue.bypass", "a4", "not asked for");

        var details = await Store.FirstDetailsAsync("alerts.issue.bypass", ["a1", "a2", "a3", "a5"], CancellationToken.None);

        Assert.Equal(new Dictionary<string, string?> { ["a1"] = "承認者不在", ["a3"] = null }, details);
        Assert.Empty(await Store.FirstDetailsAsync("alerts.issue.bypass", [], CancellationToken.None));
    }
}

public sealed class SqliteAuditLogStoreTests : AuditLogStoreConformance
{
    private protected override async Task<(IAuditLogStore Store, IStoreTransactions Transactions)> CreateAsync()
    {
        var database = await Stores.SqliteAsync();
        return (new SqliteAuditLogStore(database), new SqliteStoreTransactions(database));
    }
}

[PostgresEngine]
public sealed class PostgresAuditLogStoreTests : AuditLogStoreConformance
{
    private protected override async Task<(IAuditLogStore Store, IStoreTransactions Transactions)> CreateAsync()
    {
        var dataSource = await Stores.PostgresAsync();
        return (new PostgresAuditLogStore(dataSource), new PostgresStoreTransactions(dataSource));
    }
}

/// <summary>
/// The same on a database whose character classification knows Unicode (C.UTF-8), as a data centre's often does: case folding
/// must still touch ASCII letters only, as on SQLite.
/// </summary>
[PostgresEngine]
public sealed class PostgresAuditLogStoreOnUtf8LocaleTests : AuditLogStoreConformance
{
    private Npgsql.NpgsqlDataSource? _dataSource;

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private protected override async Task<(IAuditLogStore Store, IStoreTransactions Transactions)> CreateAsync()
    {
        var scratch = await Stores.PostgresAsync();
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(scratch.ConnectionString) { Database = "u_" + Guid.NewGuid().ToString("N") };
        await using (var create = scratch.CreateCommand($"CREATE DATABASE {builder.Database} TEMPLATE template0 LC_CTYPE 'C.utf8' LC_COLLATE 'C.utf8'"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var dataSource = _dataSource = Npgsql.NpgsqlDataSource.Create(builder.ConnectionString);
        await new PostgresMigrator(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return (new PostgresAuditLogStore(dataSource), new PostgresStoreTransactions(dataSource));
    }
}
