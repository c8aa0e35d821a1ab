using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="ITownPointStore"/> does, written once; each engine below runs it.</summary>
public abstract class TownPointStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private ITownPointStore Store { get; set; } = null!;

    private protected abstract Task<ITownPointStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Load_NothingImported_NoPointsAndNoSet()
    {
        var (points, set) = await Store.LoadAsync(CancellationToken.None);

        Assert.Empty(points);
        Assert.Null(set);
    }

    [StoreFact]
    public async Task Replace_ThenLoad_ReadsBackEveryFieldInImportOrder()
    {
        TownPoint[] imported =
        [
            new("赤川", "", "平鹿地域", 39.301234567890123, 140.55470000000001),
            new("赤川", "樋掛", null, 39.3, 140.5),
            new("旭川一丁目", "", "横手地域", -0.000001, 179.99999999),
            new("Aoba", "", null, 39.31, 140.52),
        ];
        var set = new TownPointSet(imported.Length, "「位置参照情報」(国土交通省)を加工して作成", At, "tanaka");

        await Store.ReplaceAsync(imported, set, CancellationToken.None);

        var (points, loaded) = await Store.LoadAsync(CancellationToken.None);
        Assert.Equal(imported, points);
        Assert.Equal(set, loaded);
    }

    [StoreFact]
    public async Task Replace_OptionalAttributionAbsent_StaysAbsent()
    {
        await Store.ReplaceAsync([new TownPoint("増田", "", null, 39.2, 140.5)], new TownPointSet(1, null, At, "sato"), CancellationToken.None);

        var (_, set) = await Store.LoadAsync(CancellationToken.None);

        Assert.NotNull(set);
        Assert.Null(set.Attribution);
    }

    [StoreFact]
    public async Task Replace_AgainWithFewerPoints_ReplacesTheWholeSet()
    {
        await Store.ReplaceAsync([new TownPoint("A", "", null, 39, 140), new TownPoint("B", "", null, 39, 140), new TownPoint("C", "", null, 39, 140)],
            new TownPointSet(3, "old", At, "tanaka"), CancellationToken.None);

        await Store.ReplaceAsync([new TownPoint("十文字", "", null, 39.2, 140.5)], new TownPointSet(1, "new", At.AddHours(1), "sato"), CancellationToken.None);

        var (points, set) = await Store.LoadAsync(CancellationToken.None);
        Assert.Equal(["十文字"], points.Select(p => p.Town));
        Assert.Equal(new TownPointSet(1, "new", At.AddHours(1), "sato"), set);
    }

    [StoreFact]
    public async Task Replace_SetCountDisagreesWithThePoints_StoresTheNumberOfPoints()
    {
        await Store.ReplaceAsync([new TownPoint("A", "", null, 39, 140), new TownPoint("B", "", null, 39, 140)], new TownPointSet(999, null, At, "tanaka"),
            CancellationToken.None);

        var (_, set) = await Store.LoadAsync(CancellationToken.None);

        Assert.Equal(2, set!.Count);
    }

    [StoreFact]
    public async Task Replace_WithNoPoints_ClearsPointsAndSet()
    {
        await Store.ReplaceAsync([new TownPoint("A", "", null, 39, 140)], new TownPointSet(1, "x", At, "tanaka"), CancellationToken.None);

        await Store.ReplaceAsync([], new TownPointSet(0, "ignored", At, "sato"), CancellationToken.None);

        var (points, set) = await Store.LoadAsync(CancellationToken.None);
        Assert.Empty(points);
        Assert.Null(set);
    }

    [StoreFact]
    public async Task Replace_PrefectureSizedImport_KeepsEveryPointInOrder()
    {
        var imported = Enumerable.Range(0, 30_000).Select(i => new TownPoint($"町{i:D5}", i % 3 == 0 ? "" : $"字{i}", i % 2 == 0 ? null : "地域",
            39 + i * 1e-6, 140 + i * 1e-6)).ToArray();

        await Store.ReplaceAsync(imported, new TownPointSet(imported.Length, null, At, "tanaka"), CancellationToken.None);

        var (points, set) = await Store.LoadAsync(CancellationToken.None);
        Assert.Equal(imported, points);
        Assert.Equal(imported.Length, set!.Count);
    }

    [StoreFact]
    public async Task Load_WhileSetsAreReplaced_SeesOneWholeSetEachTime()
    {
        TownPoint[] Points(string town, int n) => [.. Enumerable.Range(0, n).Select(i => new TownPoint(town, $"{i}", null, 39, 140))];
        var small = Points("小", 3);
        var large = Points("大", 400);
        await Store.ReplaceAsync(small, new TownPointSet(small.Length, "小", At, "a"), CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        var writer = Task.Run(async () =>
        {
            var replaces = 0;
            while (!stop.IsCancellationRequested)
            {
                var next = replaces++ % 2 == 0 ? large : small;
                await Store.ReplaceAsync(next, new TownPointSet(next.Length, next[0].Town, At, "a"), CancellationToken.None);
            }

            return replaces;
        });
        var loads = 0;
        while (!stop.IsCancellationRequested)
        {
            var (points, set) = await Store.LoadAsync(CancellationToken.None);
            loads++;
            Assert.NotNull(set);
            Assert.Equal(set.Count, points.Count);
            Assert.All(points, p => Assert.Equal(set.Attribution, p.Town));
        }

        Assert.True(await writer > 1);
        Assert.True(loads > 1);
    }
}

public sealed class SqliteTownPointStoreTests : TownPointStoreConformance
{
    private protected override async Task<ITownPointStore> CreateAsync() => new SqliteTownPointStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresTownPointStoreTests : TownPointStoreConformance
{
    private protected override async Task<ITownPointStore> CreateAsync() => new PostgresTownPointStore(await Stores.PostgresAsync());
}
