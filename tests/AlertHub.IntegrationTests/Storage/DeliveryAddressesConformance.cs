using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IDeliveryAddresses"/> answers for a batch of claimed work, written once.</summary>
public abstract class DeliveryAddressesConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 0, 0, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IResidentStore Residents { get; set; } = null!;

    private IDeliveryAddresses Addresses { get; set; } = null!;

    private protected abstract Task<(IResidentStore Residents, IDeliveryAddresses Addresses)> CreateAsync();

    public async Task InitializeAsync() => (Residents, Addresses) = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task LookUp_EachResidentInOrder_GetsTheNewestActiveEndpointOnTheChannelAndTheirLanguage()
    {
        var changed = Guid.NewGuid();
        var pending = Guid.NewGuid();
        var unknown = Guid.NewGuid();
        await Residents.InsertAsync(
        [
            Resident(changed, "en", new NewEndpoint("webhook", "https://old.example/hook", "s1", "active"), new NewEndpoint("fcm", "tok", null, "active")),
            Resident(pending, null, new NewEndpoint("webhook", "https://pending.example/hook", null, "pending")),
        ], At, CancellationToken.None);
        await Residents.AddEndpointAsync(changed, new NewEndpoint("webhook", "https://new.example/hook", "s2", "active"), At.AddMinutes(1), CancellationToken.None);

        var found = await Addresses.LookUpAsync("webhook", [unknown, changed, pending, changed], CancellationToken.None);

        Assert.Equal(4, found.Count);
        Assert.Equal((null, null), (found[0].Endpoint, found[0].Language));
        Assert.Equal(("https://new.example/hook", "s2", "active", "en"), (found[1].Endpoint!.Address, found[1].Endpoint!.Secret, found[1].Endpoint!.State, found[1].Language));
        Assert.Null(found[2].Endpoint);
        Assert.Equal(found[1], found[3]);
        Assert.Empty(await Addresses.LookUpAsync("webhook", [], CancellationToken.None));
    }

    private static NewResident Resident(Guid id, string? language, params NewEndpoint[] endpoints) =>
        new(id, new byte[32], null, [], language, [], [new StoredPlace("自宅", 39.31, 140.55)], endpoints);
}

public sealed class SqliteDeliveryAddressesTests : DeliveryAddressesConformance
{
    private protected override async Task<(IResidentStore Residents, IDeliveryAddresses Addresses)> CreateAsync()
    {
        var database = await Stores.SqliteAsync();
        return (new SqliteResidentStore(database), new SqliteDeliveryAddresses(database));
    }
}

[PostgresEngine]
public sealed class PostgresDeliveryAddressesTests : DeliveryAddressesConformance
{
    private protected override async Task<(IResidentStore Residents, IDeliveryAddresses Addresses)> CreateAsync()
    {
        var dataSource = await Stores.PostgresAsync();
        return (new PostgresResidentStore(dataSource), new PostgresDeliveryAddresses(dataSource));
    }
}
