using System.Security.Cryptography;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="ISafetyReplyStore"/> does, written once; each engine below runs it.</summary>
public abstract class SafetyReplyStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));
    private static readonly CancellationToken None = CancellationToken.None;

    private protected TestStores Stores { get; } = new();

    private ISafetyReplyStore Store { get; set; } = null!;

    private IResidentStore Residents { get; set; } = null!;

    private IStoreTransactions Transactions { get; set; } = null!;

    private protected abstract Task<(ISafetyReplyStore Store, IResidentStore Residents, IStoreTransactions Transactions)> CreateAsync();

    public async Task InitializeAsync() => (Store, Residents, Transactions) = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Add_ThenLatest_ReadsBackEveryField_WithTheResidentsFirstPlace()
    {
        var withHome = await ResidentAsync(new StoredPlace("自宅", 39.31, 140.55), new StoredPlace("職場", 39.0, 140.0));
        var homeless = await ResidentAsync();
        var full = new SafetyReply(0, withHome, "alert-1", "need-help", "足を怪我しました。避難所まで歩けません", 39.3, 140.5, At);
        var bare = new SafetyReply(0, homeless, null, "safe", null, null, null, At.AddMinutes(1));

        var fullId = await Store.AddAsync(full, None);
        var bareId = await Store.AddAsync(bare, None);

        Assert.True(bareId > fullId);
        var latest = await Store.LatestAsync(null, 100, None);
        Assert.Equal([new SafetyReplyWithPlace(bare with { Id = bareId }, null, null), new SafetyReplyWithPlace(full with { Id = fullId }, 39.31, 140.55)], latest);
    }

    [StoreFact]
    public async Task Latest_IsEachResidentsNewestReply_NewestFirst_PerAlert_AndLimited()
    {
        var (a, b, c) = (await ResidentAsync(), await ResidentAsync(), await ResidentAsync());
        var a1 = await Store.AddAsync(Reply(a, "alert-1", "need-help"), None);
        var b1 = await Store.AddAsync(Reply(b, "alert-1", "safe"), None);
        var a2 = await Store.AddAsync(Reply(a, "alert-1", "safe"), None);
        var c2 = await Store.AddAsync(Reply(c, "alert-2", "need-help"), None);
        var b2 = await Store.AddAsync(Reply(b, null, "need-help"), None);

        Assert.Equal([b2, c2, a2], (await Store.LatestAsync(null, 100, None)).Select(l => l.Reply.Id));
        Assert.Equal([a2, b1], (await Store.LatestAsync("alert-1", 100, None)).Select(l => l.Reply.Id));
        Assert.Equal([a2], (await Store.LatestAsync("alert-1", 1, None)).Select(l => l.Reply.Id));
        Assert.Empty(await Store.LatestAsync("alert-3", 100, None));
        Assert.NotEqual(a1, a2);
    }

    [StoreFact]
    public async Task Replies_GoWithTheResident()
    {
        var (gone, stays) = (await ResidentAsync(), await ResidentAsync());
        await Store.AddAsync(Reply(gone, null, "safe"), None);
        var kept = await Store.AddAsync(Reply(stays, null, "safe"), None);

        await using (var tx = await Transactions.BeginAsync(None))
        {
            await Residents.DeleteAsync(tx, gone, None);
            await tx.CommitAsync(None);
        }

        Assert.Equal([kept], (await Store.LatestAsync(null, 100, None)).Select(l => l.Reply.Id));
    }

    private static SafetyReply Reply(Guid resident, string? alertId, string status) => new(0, resident, alertId, status, null, null, null, At);

    private async Task<Guid> ResidentAsync(params StoredPlace[] places)
    {
        var id = Guid.NewGuid();
        await Residents.InsertAsync([new NewResident(id, SHA256.HashData(id.ToByteArray()), null, [], null, [], places, [])], At, None);
        return id;
    }
}

public sealed class SqliteSafetyReplyStoreTests : SafetyReplyStoreConformance
{
    private protected override async Task<(ISafetyReplyStore, IResidentStore, IStoreTransactions)> CreateAsync()
    {
        var database = await Stores.SqliteAsync();
        return (new SqliteSafetyReplyStore(database), new SqliteResidentStore(database), new SqliteStoreTransactions(database));
    }
}

[PostgresEngine]
public sealed class PostgresSafetyReplyStoreTests : SafetyReplyStoreConformance
{
    private protected override async Task<(ISafetyReplyStore, IResidentStore, IStoreTransactions)> CreateAsync()
    {
        var dataSource = await Stores.PostgresAsync();
        return (new PostgresSafetyReplyStore(dataSource), new PostgresResidentStore(dataSource), new PostgresStoreTransactions(dataSource));
    }
}
