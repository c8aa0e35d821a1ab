using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IShelterStore"/> does, written once; each engine below runs it.</summary>
public abstract class ShelterStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IShelterStore Store { get; set; } = null!;

    private protected abstract Task<IShelterStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Upsert_NewShelter_ReadsBackEveryField()
    {
        var shelter = new Shelter("052035-0001", "横手南小学校", "Yokote-minami Elementary School", new GeoPoint(39.3021, 140.5547), "open", 450, 12, At);

        var (existed, previous) = await Store.UpsertAsync(shelter, "tanaka", CancellationToken.None);

        Assert.False(existed);
        Assert.Null(previous);
        var read = await Store.GetAsync(shelter.Id, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(shelter with { UpdatedAt = read.UpdatedAt }, read);
        Assert.Equal(At, read.UpdatedAt);
    }

    [StoreFact]
    public async Task Upsert_OptionalFieldsAbsent_StayAbsent()
    {
        var shelter = new Shelter("s-null", "公民館", null, new GeoPoint(39.3, 140.5), "closed", null, null, At);

        await Store.UpsertAsync(shelter, "tanaka", CancellationToken.None);

        var read = await Store.GetAsync("s-null", CancellationToken.None);
        Assert.NotNull(read);
        Assert.Null(read.NameEn);
        Assert.Null(read.Capacity);
        Assert.Null(read.Occupancy);
    }

    [StoreFact]
    public async Task Upsert_ExistingShelter_ReplacesItAndReturnsItsPreviousStatus()
    {
        await Store.UpsertAsync(new Shelter("s1", "旧名", "Old", new GeoPoint(39.3, 140.5), "open", 100, 10, At), "tanaka", CancellationToken.None);
        var changed = new Shelter("s1", "新名", null, new GeoPoint(39.31, 140.51), "full", 120, 120, At.AddMinutes(5));

        var (existed, previous) = await Store.UpsertAsync(changed, "sato", CancellationToken.None);

        Assert.True(existed);
        Assert.Equal("open", previous);
        var read = await Store.GetAsync("s1", CancellationToken.None);
        Assert.Equal(changed with { UpdatedAt = read!.UpdatedAt }, read);
        Assert.Equal(At.AddMinutes(5), read.UpdatedAt);
    }

    [StoreFact]
    public async Task List_OrdersByNameThenId()
    {
        foreach (var (id, name) in new[] { ("b", "十文字"), ("c", "増田"), ("a", "十文字"), ("d", "Asahi") })
        {
            await Store.UpsertAsync(new Shelter(id, name, null, new GeoPoint(39.3, 140.5), "open", null, null, At), "tanaka", CancellationToken.None);
        }

        var list = await Store.ListAsync(CancellationToken.None);

        // Binary (code point) order on both engines: ASCII first, then kanji by code point; equal names by id.
        Assert.Equal(["d", "a", "b", "c"], list.Select(s => s.Id));
    }

    [StoreFact]
    public async Task Delete_RemovesOnlyThatShelterAndSaysWhetherItExisted()
    {
        await Store.UpsertAsync(new Shelter("keep", "A", null, new GeoPoint(39.3, 140.5), "open", null, null, At), "tanaka", CancellationToken.None);
        await Store.UpsertAsync(new Shelter("gone", "B", null, new GeoPoint(39.3, 140.5), "open", null, null, At), "tanaka", CancellationToken.None);

        Assert.True(await Store.DeleteAsync("gone", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("gone", CancellationToken.None));
        Assert.Null(await Store.GetAsync("gone", CancellationToken.None));
        Assert.Equal(["keep"], (await Store.ListAsync(CancellationToken.None)).Select(s => s.Id));
    }

    [StoreFact]
    public async Task Upsert_ConcurrentChangesOfOneShelter_EachSeesTheStatusItReplaced()
    {
        await Store.UpsertAsync(new Shelter("s1", "A", null, new GeoPoint(39.3, 140.5), "s0", null, null, At), "tanaka", CancellationToken.None);
        var statuses = Enumerable.Range(1, 12).Select(i => $"s{i}").ToArray();

        var results = await Task.WhenAll(statuses.Select(status => Task.Run(() =>
            Store.UpsertAsync(new Shelter("s1", "A", null, new GeoPoint(39.3, 140.5), status, null, null, At), "staff", CancellationToken.None))));

        // Changes are serialised per shelter: the statuses replaced are the first one and every written one but the last, each once.
        Assert.All(results, r => Assert.True(r.Existed));
        var final = (await Store.GetAsync("s1", CancellationToken.None))!.Status;
        string[] expected = ["s0", .. statuses.Where(s => s != final)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), results.Select(r => r.PreviousStatus!).Order(StringComparer.Ordinal));
    }
}

public sealed class SqliteShelterStoreTests : ShelterStoreConformance
{
    private protected override async Task<IShelterStore> CreateAsync() => new SqliteShelterStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresShelterStoreTests : ShelterStoreConformance
{
    private protected override async Task<IShelterStore> CreateAsync() => new PostgresShelterStore(await Stores.PostgresAsync());
}
