using System.Data.Common;
using System.Text.Json.Nodes;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IAreaStore"/> does, written once; each engine below runs it.</summary>
public abstract class AreaStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private const string Polygon = """{"type":"Polygon","coordinates":[[[140.5547,39.3021],[140.6,39.3021],[140.6,39.35],[140.5547,39.35],[140.5547,39.3021]]]}""";

    private protected TestStores Stores { get; } = new();

    private IAreaStore Store { get; set; } = null!;

    private protected abstract Task<IAreaStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Add_ThenList_ReadsBackEveryField()
    {
        var district = new StoredArea("a1", "十文字地域", "district", "05203", Polygon, true, At);
        var drawn = new StoredArea("a2", "増田 浸水想定区域", "flood", null,
            """{"type":"Point","coordinates":[140.123456789012,39.000000000001]}""", false, At.AddSeconds(1));

        await Store.AddAsync([district, drawn], CancellationToken.None);

        var list = await Store.ListAsync(CancellationToken.None);
        Assert.Equal(2, list.Count);
        foreach (var (written, read) in new[] { district, drawn }.Zip(list))
        {
            Assert.Equal(written with { GeoJson = read.GeoJson }, read);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(written.GeoJson), JsonNode.Parse(read.GeoJson)), read.GeoJson);
        }

        Assert.Equal(At, list[0].CreatedAt);
    }

    [StoreFact]
    public async Task List_OrdersOldestFirstThenById()
    {
        await Store.AddAsync([new StoredArea("c", "新", "custom", null, Polygon, false, At.AddMinutes(1))], CancellationToken.None);
        await Store.AddAsync([new StoredArea("b", "旧", "custom", null, Polygon, false, At.ToOffset(TimeSpan.Zero))], CancellationToken.None);
        await Store.AddAsync([new StoredArea("a", "旧", "custom", null, Polygon, false, At)], CancellationToken.None);
        // Earlier in wall-clock text, later as an instant: ordering is by instant whatever the offset written.
        await Store.AddAsync([new StoredArea("d", "中", "custom", null, Polygon, false, At.AddSeconds(30).ToOffset(TimeSpan.FromHours(-5)))], CancellationToken.None);

        var list = await Store.ListAsync(CancellationToken.None);

        Assert.Equal(["a", "b", "d", "c"], list.Select(a => a.Id));
    }

    [StoreFact]
    public async Task Add_BatchWithAnIdAlreadyStored_AddsNoneOfIt()
    {
        await Store.AddAsync([new StoredArea("taken", "既存", "district", null, Polygon, false, At)], CancellationToken.None);

        await Assert.ThrowsAnyAsync<DbException>(() => Store.AddAsync(
            [new StoredArea("fresh", "新規", "custom", null, Polygon, false, At), new StoredArea("taken", "重複", "custom", null, Polygon, false, At)],
            CancellationToken.None));

        var list = await Store.ListAsync(CancellationToken.None);
        Assert.Equal(["taken"], list.Select(a => a.Id));
        Assert.Equal("既存", list[0].Name);
    }

    [StoreFact]
    public async Task Any_SaysWhetherAnAreaIsStored()
    {
        Assert.False(await Store.AnyAsync(CancellationToken.None));

        await Store.AddAsync([new StoredArea("a", "A", "custom", null, Polygon, false, At)], CancellationToken.None);

        Assert.True(await Store.AnyAsync(CancellationToken.None));
    }

    [StoreFact]
    public async Task Delete_RemovesOnlyThatAreaAndSaysWhetherItExisted()
    {
        await Store.AddAsync([new StoredArea("keep", "A", "custom", null, Polygon, false, At), new StoredArea("gone", "B", "custom", null, Polygon, false, At)],
            CancellationToken.None);

        Assert.True(await Store.DeleteAsync("gone", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("gone", CancellationToken.None));
        Assert.Equal(["keep"], (await Store.ListAsync(CancellationToken.None)).Select(a => a.Id));
    }
}

public sealed class SqliteAreaStoreTests : AreaStoreConformance
{
    private protected override async Task<IAreaStore> CreateAsync() => new SqliteAreaStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresAreaStoreTests : AreaStoreConformance
{
    private protected override async Task<IAreaStore> CreateAsync() => new PostgresAreaStore(await Stores.PostgresAsync());
}
