using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IDronePhotoStore"/> does, written once; each engine below runs it.</summary>
public abstract class DronePhotoStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.Zero);

    private protected TestStores Stores { get; } = new();

    private IDronePhotoStore Store { get; set; } = null!;

    private IStoreTransactions Transactions { get; set; } = null!;

    private protected abstract Task<(IDronePhotoStore Store, IStoreTransactions Transactions)> CreateAsync();

    public async Task InitializeAsync() => (Store, Transactions) = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    private static string Id(int n) => n.ToString("x32");

    private static DronePhoto Photo(int n, DateTimeOffset receivedAt, string? sha = null) =>
        new(Id(n), receivedAt, "drone-team", sha ?? new string((char)('a' + n % 6), 64), 4_500_000 + n, 4000, 3000,
            new DronePhotoCapture(null, TakenAtZone.None, null, null, null, null, null, null, null), null, null, null, null);

    [StoreFact]
    public async Task Add_FullPhoto_ReadsBackEveryField()
    {
        // EXIF times keep their instant; the offset itself may come back as UTC.
        var capture = new DronePhotoCapture(new DateTimeOffset(2026, 7, 31, 14, 2, 33, 125, TimeSpan.FromHours(9)), TakenAtZone.Exif, "DJI", "FC3582",
            151.25, 120.5, -87.5, -90, 12.75);
        var photo = new DronePhoto(Id(1), At, "佐藤 (防災ドローン班)", new string('a', 64), 12_345_678_901, 8064, 6048, capture, 39.30215, 140.55471, "exif",
            "大雨で冠水した市道 横手南");

        await Store.AddAsync(photo, CancellationToken.None);

        var read = await Store.GetAsync(Id(1), CancellationToken.None);
        Assert.Equal(photo, read);
        Assert.Equal(capture.TakenAt, read!.Capture.TakenAt);
        Assert.Null(await Store.GetAsync(Id(2), CancellationToken.None));
    }

    [StoreFact]
    public async Task Add_NoMetadataAtAll_ReadsBackAbsentFields()
    {
        var photo = Photo(1, At) with { Capture = new DronePhotoCapture(new DateTimeOffset(2026, 7, 31, 5, 0, 0, TimeSpan.Zero), TakenAtZone.AssumedJst,
            null, null, null, null, null, null, null) };

        await Store.AddAsync(photo, CancellationToken.None);

        Assert.Equal(photo, await Store.GetAsync(Id(1), CancellationToken.None));
    }

    [StoreFact]
    public async Task Add_DuplicateId_Throws()
    {
        await Store.AddAsync(Photo(1, At), CancellationToken.None);

        await Assert.ThrowsAnyAsync<Exception>(() => Store.AddAsync(Photo(1, At.AddMinutes(1), new string('f', 64)), CancellationToken.None));
    }

    [StoreFact]
    public async Task FindBySha256_ReturnsTheFirstReceivedWithThatHash_OrNull()
    {
        var sha = new string('c', 64);
        await Store.AddAsync(Photo(2, At.AddMinutes(5), sha), CancellationToken.None);
        await Store.AddAsync(Photo(1, At, sha), CancellationToken.None);
        await Store.AddAsync(Photo(3, At.AddMinutes(-5), new string('d', 64)), CancellationToken.None);

        Assert.Equal(Id(1), (await Store.FindBySha256Async(sha, CancellationToken.None))?.Id);
        Assert.Null(await Store.FindBySha256Async(new string('e', 64), CancellationToken.None));
    }

    [StoreFact]
    public async Task List_OldestFirstThenById_FromSince_UpToTheLimit()
    {
        // Ids 3 and 4 arrive in the same instant; the rest out of order.
        foreach (var (n, minutes) in new[] { (5, 30), (4, 10), (1, 0), (3, 10), (2, 20) })
        {
            await Store.AddAsync(Photo(n, At.AddMinutes(minutes)), CancellationToken.None);
        }

        Assert.Equal([Id(1), Id(3), Id(4), Id(2), Id(5)], (await Store.ListAsync(null, 100, CancellationToken.None)).Select(p => p.Id));
        Assert.Equal([Id(1), Id(3)], (await Store.ListAsync(null, 2, CancellationToken.None)).Select(p => p.Id));
        // A bound given in JST means the same instant.
        Assert.Equal([Id(3), Id(4), Id(2)],
            (await Store.ListAsync(At.AddMinutes(10).ToOffset(TimeSpan.FromHours(9)), 3, CancellationToken.None)).Select(p => p.Id));
        Assert.Empty(await Store.ListAsync(At.AddMinutes(31), 100, CancellationToken.None));
    }

    [StoreFact]
    public async Task SetPosition_CommittedWithTheTransaction_PlacesThePhotoByHand()
    {
        await Store.AddAsync(Photo(1, At), CancellationToken.None);

        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.True(await Store.SetPositionAsync(Id(1), 39.31, 140.56, tx, CancellationToken.None));
            Assert.False(await Store.SetPositionAsync(Id(2), 39.31, 140.56, tx, CancellationToken.None));
            await tx.CommitAsync(CancellationToken.None);
        }

        var read = (await Store.GetAsync(Id(1), CancellationToken.None))!;
        Assert.Equal((39.31, 140.56, "manual"), (read.Latitude, read.Longitude, read.PositionSource));
    }

    [StoreFact]
    public async Task SetPosition_TransactionNotCommitted_LeavesThePhotoAsItWas()
    {
        var photo = Photo(1, At) with { Latitude = 39.3, Longitude = 140.5, PositionSource = "exif" };
        await Store.AddAsync(photo, CancellationToken.None);

        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.True(await Store.SetPositionAsync(Id(1), 0, 0, tx, CancellationToken.None));
        }

        Assert.Equal(photo, await Store.GetAsync(Id(1), CancellationToken.None));
    }
}

public sealed class SqliteDronePhotoStoreTests : DronePhotoStoreConformance
{
    private protected override async Task<(IDronePhotoStore, IStoreTransactions)> CreateAsync()
    {
        var database = await Stores.SqliteAsync();
        return (new SqliteDronePhotoStore(database), new SqliteStoreTransactions(database));
    }
}

[PostgresEngine]
public sealed class PostgresDronePhotoStoreTests : DronePhotoStoreConformance
{
    private protected override async Task<(IDronePhotoStore, IStoreTransactions)> CreateAsync()
    {
        var dataSource = await Stores.PostgresAsync();
        return (new PostgresDronePhotoStore(dataSource), new PostgresStoreTransactions(dataSource));
    }
}
