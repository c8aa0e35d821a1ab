using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IAlertImageStore"/> does, written once; each engine below runs it.</summary>
public abstract class AlertImageStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IAlertImageStore Store { get; set; } = null!;

    private protected abstract Task<IAlertImageStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Add_ReadsBackEveryField()
    {
        var image = new AlertImageRecord("0123456789abcdef0123456789abcdef", "camera-snapshot", "snap-20260801-0314", "雄物川 大曲橋 2026-08-01 03:10 JST",
            At.AddMinutes(-4), At, "tanaka", 1280, 720, 183_456, 24_321);

        await Store.AddAsync(image, CancellationToken.None);

        var read = await Store.GetAsync(image.Id, CancellationToken.None);
        Assert.Equal(image, read);
        Assert.Equal(At, read!.CreatedAt);
        Assert.Null(await Store.GetAsync("fedcba9876543210fedcba9876543210", CancellationToken.None));
    }

    [StoreFact]
    public async Task Add_NoCaptionOrTime_StayAbsent()
    {
        var image = new AlertImageRecord("0123456789abcdef0123456789abcdef", "drone-photo", "abc", null, null, At, "sato", 1, 1, 100, 50);

        await Store.AddAsync(image, CancellationToken.None);

        Assert.Equal(image, await Store.GetAsync(image.Id, CancellationToken.None));
    }

    [StoreFact]
    public async Task Add_DuplicateId_ThrowsAndKeepsTheFirst()
    {
        var image = new AlertImageRecord("0123456789abcdef0123456789abcdef", "drone-photo", "abc", null, null, At, "sato", 1, 1, 100, 50);
        await Store.AddAsync(image, CancellationToken.None);

        await Assert.ThrowsAnyAsync<Exception>(() => Store.AddAsync(image with { SourceId = "other" }, CancellationToken.None));

        Assert.Equal("abc", (await Store.GetAsync(image.Id, CancellationToken.None))!.SourceId);
    }
}

public sealed class SqliteAlertImageStoreTests : AlertImageStoreConformance
{
    private protected override async Task<IAlertImageStore> CreateAsync() => new SqliteAlertImageStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresAlertImageStoreTests : AlertImageStoreConformance
{
    private protected override async Task<IAlertImageStore> CreateAsync() => new PostgresAlertImageStore(await Stores.PostgresAsync());
}
