using System.Security.Cryptography;
using AlertHub.Core.Storage;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IResidentStore"/> does, written once; each engine below runs it.</summary>
public abstract class ResidentStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));
    private static readonly CancellationToken None = CancellationToken.None;

    private protected TestStores Stores { get; } = new();

    private IResidentStore Store { get; set; } = null!;

    private IStoreTransactions Transactions { get; set; } = null!;

    private protected abstract Task<(IResidentStore Store, IStoreTransactions Transactions)> CreateAsync();

    public async Task InitializeAsync() => (Store, Transactions) = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Insert_ThenGet_ReadsBackEveryField_WithoutSecrets()
    {
        var full = Resident(places: [new StoredPlace("自宅（横手市中央町）", 39.3114, 140.5533), new StoredPlace(null, 39.2, 140.4)],
            endpoints: [new NewEndpoint("line", "U0123456789abcdef0123456789abcdef", null, "active"), new NewEndpoint("webpush", "https://push.example/1", "p256dh:auth", "active"),
                new NewEndpoint("email", "hanako@example.jp", null, "pending")]) with
        {
            ExternalId = "横手-0001",
            HouseholdTags = ["elderly", "children"],
            Language = "ja",
            Tags = ["要配慮者"],
        };
        var bare = Resident();

        await Store.InsertAsync([full, bare], At, None);

        var read = await Store.GetAsync(full.Id, None);
        Assert.NotNull(read);
        Assert.Equal("横手-0001", read.ExternalId);
        Assert.Equal(["elderly", "children"], read.HouseholdTags);
        Assert.Equal("ja", read.Language);
        Assert.Equal(["要配慮者"], read.Tags);
        Assert.Equal(full.Places, read.Places);
        Assert.Equal(full.Endpoints.Select(e => (e.Channel, e.Address, e.State)), read.Endpoints.Select(e => (e.Channel, e.Address, e.State)));
        Assert.All(read.Endpoints, e => Assert.Equal(full.Id, e.ResidentId));
        Assert.Equal(read.Endpoints.Select(e => e.Id).Order(), read.Endpoints.Select(e => e.Id));
        Assert.Null(read.Location);

        var empty = await Store.GetAsync(bare.Id, None);
        Assert.NotNull(empty);
        Assert.Null(empty.ExternalId);
        Assert.Null(empty.Language);
        Assert.Empty(empty.HouseholdTags);
        Assert.Empty(empty.Places);
        Assert.Empty(empty.Endpoints);
        Assert.Equal(2, await Store.CountAsync(None));
    }

    [StoreFact]
    public async Task TokenHash_IsTheStoredHash_AndUnknownResidentsAreNull()
    {
        var r = Resident();
        await Store.InsertAsync([r], At, None);

        Assert.Equal(r.TokenHash, await Store.TokenHashAsync(r.Id, None));
        Assert.Null(await Store.TokenHashAsync(Guid.NewGuid(), None));
        Assert.Null(await Store.GetAsync(Guid.NewGuid(), None));
        Assert.Null(await Store.HomeAsync(Guid.NewGuid(), None));
    }

    [StoreFact]
    public async Task Replace_ChangesEverything_AndAConfirmedAddressSentAgainStaysActive()
    {
        var r = Resident(places: [new StoredPlace("旧宅", 39.1, 140.1)],
            endpoints: [new NewEndpoint("email", "kept@example.jp", null, "active"), new NewEndpoint("email", "waiting@example.jp", null, "pending")]);
        await Store.InsertAsync([r], At, None);

        var change = new ResidentChange("ext-2", ["pregnant"], "en", ["visitor"], [new StoredPlace("新宅", 39.2, 140.2), new StoredPlace("職場", 39.3, 140.3)],
            [new NewEndpoint("email", "kept@example.jp", null, "pending"), new NewEndpoint("email", "waiting@example.jp", null, "pending"),
                new NewEndpoint("sms", "+819012345678", null, "active")]);
        Assert.True(await Store.ReplaceAsync(r.Id, change, At.AddMinutes(5), None));
        Assert.False(await Store.ReplaceAsync(Guid.NewGuid(), change, At, None));

        var read = (await Store.GetAsync(r.Id, None))!;
        Assert.Equal(("ext-2", "en"), (read.ExternalId, read.Language));
        Assert.Equal(["pregnant"], read.HouseholdTags);
        Assert.Equal(["visitor"], read.Tags);
        Assert.Equal(change.Places, read.Places);
        Assert.Equal([("kept@example.jp", "active"), ("waiting@example.jp", "pending"), ("+819012345678", "active")],
            read.Endpoints.Select(e => (e.Address, e.State)));
    }

    [StoreFact]
    public async Task Delete_InTheCallersTransaction_TakesPlacesEndpointsAndLocation_AndARollbackKeepsThem()
    {
        var r = Resident(places: [new StoredPlace("自宅", 39.3, 140.5)], endpoints: [new NewEndpoint("sms", "+819011112222", null, "active")]);
        var other = Resident(endpoints: [new NewEndpoint("sms", "+819033334444", null, "active")]);
        await Store.InsertAsync([r, other], At, None);
        await Store.SetLocationAsync(new ResidentLocation(r.Id, 39.31, 140.56, At.AddHours(1)), None);
        var endpointId = (await Store.GetAsync(r.Id, None))!.Endpoints[0].Id;

        await using (var rolledBack = await Transactions.BeginAsync(None))
        {
            Assert.True(await Store.DeleteAsync(rolledBack, r.Id, None));
        }

        Assert.NotNull(await Store.GetAsync(r.Id, None));

        await using (var tx = await Transactions.BeginAsync(None))
        {
            Assert.True(await Store.DeleteAsync(tx, r.Id, None));
            Assert.False(await Store.DeleteAsync(tx, Guid.NewGuid(), None));
            await tx.CommitAsync(None);
        }

        Assert.Null(await Store.GetAsync(r.Id, None));
        Assert.Null(await Store.FindEndpointAsync(endpointId, "sms", None));
        Assert.Null(await Store.FindByAddressAsync("sms", "+819011112222", None));
        Assert.Empty(await Store.ReadLiveLocationsAsync(At, None));
        Assert.Null(await Store.HomeAsync(r.Id, None));
        Assert.Equal([other.Id], await ProfilesAsync(null).Select(p => p.Id).ToListAsync());
        Assert.Equal(1, await Store.CountAsync(None));
    }

    [StoreFact]
    public async Task ReadProfiles_GivesPlacesInOrderAndDistinctActiveChannels_ForAllOrTheGivenOnes()
    {
        var a = Resident(places: [new StoredPlace("自宅", 39.1, 140.1), new StoredPlace(null, 39.2, 140.2)],
            endpoints: [new NewEndpoint("sms", "+81901", null, "active"), new NewEndpoint("sms", "+81902", null, "active"),
                new NewEndpoint("email", "a@example.jp", null, "pending"), new NewEndpoint("line", "U1", null, "gone"), new NewEndpoint("webpush", "https://p/1", "k", "active")])
            with { HouseholdTags = ["elderly"], Language = "vi", Tags = ["t"] };
        var b = Resident();
        var c = Resident(places: [new StoredPlace("c", 39.5, 140.5)]);
        await Store.InsertAsync([a, b, c], At, None);

        var all = (await ProfilesAsync(null).ToListAsync()).ToDictionary(p => p.Id);

        Assert.Equal(new HashSet<Guid> { a.Id, b.Id, c.Id }, all.Keys.ToHashSet());
        var pa = all[a.Id];
        Assert.Equal([new ResidentPlace(39.1, 140.1, "自宅"), new ResidentPlace(39.2, 140.2, null)], pa.Places);
        Assert.Equal(["sms", "webpush"], pa.Channels.Order());
        Assert.Equal(["elderly"], pa.HouseholdTags);
        Assert.Equal("vi", pa.Language);
        Assert.Equal(["t"], pa.Tags);
        Assert.Empty(all[b.Id].Places);
        Assert.Empty(all[b.Id].Channels);

        var some = await ProfilesAsync([c.Id, Guid.NewGuid()]).ToListAsync();
        Assert.Equal([c.Id], some.Select(p => p.Id));
        Assert.Equal([new ResidentPlace(39.5, 140.5, "c")], some[0].Places);
        Assert.Empty(await ProfilesAsync([]).ToListAsync());
    }

    [StoreFact]
    public async Task Insert_ABulkChunk_IsCountedAndStreamedBackWhole()
    {
        var residents = Enumerable.Range(0, 5_000).Select(i => Resident(places: [new StoredPlace($"地点{i}", 39 + i * 1e-5, 140)],
            endpoints: [new NewEndpoint(i % 2 == 0 ? "line" : "fcm", $"addr-{i}", null, "active")])).ToList();

        await Store.InsertAsync(residents, At, None);

        Assert.Equal(5_000, await Store.CountAsync(None));
        var read = await ProfilesAsync(null).ToListAsync();
        Assert.Equal(residents.Select(r => r.Id).Order(), read.Select(p => p.Id).Order());
        Assert.All(read, p => Assert.Single(p.Places));
        Assert.Equal(2_500, read.Count(p => p.Channels.SequenceEqual(["line"])));
    }

    [StoreFact]
    public async Task Locations_SetMovesAndExpires_ClearRemoves_AndAnUnknownResidentIsRefused()
    {
        var (a, b) = (Resident(), Resident());
        await Store.InsertAsync([a, b], At, None);

        Assert.True(await Store.SetLocationAsync(new ResidentLocation(a.Id, 39.1, 140.1, At.AddMinutes(30)), None));
        Assert.True(await Store.SetLocationAsync(new ResidentLocation(a.Id, 39.2, 140.2, At.AddMinutes(60)), None));
        Assert.True(await Store.SetLocationAsync(new ResidentLocation(b.Id, 39.3, 140.3, At.AddMinutes(10).ToOffset(TimeSpan.Zero)), None));
        Assert.False(await Store.SetLocationAsync(new ResidentLocation(Guid.NewGuid(), 39, 140, At.AddHours(1)), None));

        Assert.Equal(new ResidentLocation(a.Id, 39.2, 140.2, At.AddMinutes(60)), (await Store.GetAsync(a.Id, None))!.Location);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), (await Store.ReadLiveLocationsAsync(At, None)).Select(l => l.ResidentId).Order());
        // An instant given with another offset is the same instant: at +09:00 15 minutes on, only a's location is live.
        Assert.Equal([new ResidentLocation(a.Id, 39.2, 140.2, At.AddMinutes(60))], await Store.ReadLiveLocationsAsync(At.AddMinutes(15).ToOffset(TimeSpan.Zero), None));

        await Store.ClearLocationAsync(a.Id, None);
        Assert.Null((await Store.GetAsync(a.Id, None))!.Location);
        Assert.Empty(await Store.ReadLiveLocationsAsync(At.AddMinutes(15), None));
    }

    [StoreFact]
    public async Task UpdateProfile_ChangesOnlyWhatIsGiven_AndLeavesEndpointsAlone()
    {
        var r = Resident(places: [new StoredPlace("自宅", 39.1, 140.1), new StoredPlace("職場", 39.2, 140.2)],
            endpoints: [new NewEndpoint("line", "Uabc", "s", "active")]) with { HouseholdTags = ["elderly"], Language = "ja" };
        await Store.InsertAsync([r], At, None);
        var endpoints = (await Store.GetAsync(r.Id, None))!.Endpoints;

        Assert.True(await Store.UpdateProfileAsync(r.Id, null, setLanguage: false, null, null, At, None));
        var same = (await Store.GetAsync(r.Id, None))!;
        Assert.Equal(["elderly"], same.HouseholdTags);
        Assert.Equal("ja", same.Language);
        Assert.Equal(r.Places, same.Places);

        Assert.True(await Store.UpdateProfileAsync(r.Id, ["children"], setLanguage: false, "en", new StoredPlace("横手地区", 39.31, 140.55), At, None));
        var tagged = (await Store.GetAsync(r.Id, None))!;
        Assert.Equal(["children"], tagged.HouseholdTags);
        Assert.Equal("ja", tagged.Language);
        Assert.Equal([new StoredPlace("横手地区", 39.31, 140.55)], tagged.Places);
        Assert.Equal(new StoredPlace("横手地区", 39.31, 140.55), await Store.HomeAsync(r.Id, None));

        Assert.True(await Store.UpdateProfileAsync(r.Id, null, setLanguage: true, null, null, At, None));
        Assert.Null((await Store.GetAsync(r.Id, None))!.Language);
        Assert.Equal(endpoints, (await Store.GetAsync(r.Id, None))!.Endpoints);
        Assert.False(await Store.UpdateProfileAsync(Guid.NewGuid(), ["x"], true, "en", null, At, None));
    }

    [StoreFact]
    public async Task AddEndpoint_AddsOnce_ReturnsTheActiveOneAfter_AndNullForAnUnknownResident()
    {
        var r = Resident(endpoints: [new NewEndpoint("voice", "+819000000000", null, "gone")]);
        await Store.InsertAsync([r], At, None);
        var gone = (await Store.GetAsync(r.Id, None))!.Endpoints[0].Id;

        var added = await Store.AddEndpointAsync(r.Id, new NewEndpoint("voice", "+819000000000", null, "active"), At, None);
        var again = await Store.AddEndpointAsync(r.Id, new NewEndpoint("voice", "+819000000000", null, "active"), At, None);

        Assert.NotNull(added);
        Assert.NotEqual(gone, added);
        Assert.Equal(added, again);
        Assert.Equal([("gone", gone), ("active", added!.Value)], (await Store.GetAsync(r.Id, None))!.Endpoints.Select(e => (e.State, e.Id)));
        Assert.True(await Store.HasActiveEndpointAsync(r.Id, "voice", "+819000000000", None));
        Assert.False(await Store.HasActiveEndpointAsync(r.Id, "sms", "+819000000000", None));
        Assert.Null(await Store.AddEndpointAsync(Guid.NewGuid(), new NewEndpoint("voice", "+819000000000", null, "active"), At, None));
    }

    [StoreFact]
    public async Task AddEndpoint_ManyAtOnceForTheSameAddress_StoresOne()
    {
        var r = Resident();
        await Store.InsertAsync([r], At, None);

        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Store.AddEndpointAsync(r.Id, new NewEndpoint("sms", "+819055556666", null, "active"), At, None))));

        var stored = (await Store.GetAsync(r.Id, None))!.Endpoints;
        Assert.Single(stored);
        Assert.All(ids, id => Assert.Equal(stored[0].Id, id));
    }

    [StoreFact]
    public async Task Endpoints_FindByIdAndChannel_ListByState_ActivateOnlyPending_PruneMarksGone()
    {
        var (a, b) = (Resident(endpoints: [new NewEndpoint("email", "a@example.jp", null, "pending"), new NewEndpoint("sms", "+8190", null, "active")]),
            Resident(endpoints: [new NewEndpoint("email", "b@example.jp", null, "active")]));
        await Store.InsertAsync([a, b], At, None);
        var mail = (await Store.GetAsync(a.Id, None))!.Endpoints.Single(e => e.Channel == "email");

        Assert.Equal(mail, await Store.FindEndpointAsync(mail.Id, "email", None));
        Assert.Null(await Store.FindEndpointAsync(mail.Id, "sms", None));
        Assert.Equal([mail], await Store.EndpointsOfAsync([a.Id, b.Id], "email", "pending", None));
        Assert.Equal(["b@example.jp"], (await Store.EndpointsOfAsync([a.Id, b.Id], "email", "active", None)).Select(e => e.Address));
        Assert.Empty(await Store.EndpointsOfAsync([a.Id], "email", "active", None));
        Assert.Empty(await Store.EndpointsOfAsync([], "email", "active", None));

        Assert.True(await Store.ActivateEndpointAsync(mail.Id, "email", None));
        Assert.False(await Store.ActivateEndpointAsync(mail.Id, "email", None));
        Assert.Equal("active", (await Store.FindEndpointAsync(mail.Id, "email", None))!.State);

        Assert.Equal(a.Id, await Store.PruneEndpointAsync(mail.Id, None));
        Assert.Equal("gone", (await Store.FindEndpointAsync(mail.Id, "email", None))!.State);
        Assert.False(await Store.ActivateEndpointAsync(mail.Id, "email", None));
        Assert.Null(await Store.PruneEndpointAsync(long.MaxValue, None));
    }

    [StoreFact]
    public async Task FindByAddress_PrefersAnActiveEndpoint_ThenTheNewest_AndSetAddressStateReportsEachResidentOnce()
    {
        var (older, newer) = (Resident(endpoints: [new NewEndpoint("line", "Ushared", null, "active"), new NewEndpoint("line", "Ushared", null, "active")]),
            Resident(endpoints: [new NewEndpoint("line", "Ushared", null, "gone")]));
        await Store.InsertAsync([older], At, None);
        await Store.InsertAsync([newer], At, None);

        Assert.Equal(older.Id, await Store.FindByAddressAsync("line", "Ushared", None));
        Assert.Null(await Store.FindByAddressAsync("line", "Unobody", None));
        Assert.Null(await Store.FindByAddressAsync("sms", "Ushared", None));

        var changed = await Store.SetAddressStateAsync("line", "Ushared", "gone", None);
        Assert.Equal(new[] { older.Id, newer.Id }.Order(), changed.Order());
        Assert.Equal(newer.Id, await Store.FindByAddressAsync("line", "Ushared", None));
        Assert.Empty((await ProfilesAsync(null).ToListAsync()).SelectMany(p => p.Channels));

        // All active again: the newest endpoint's resident.
        Assert.Equal(new[] { older.Id, newer.Id }.Order(), (await Store.SetAddressStateAsync("line", "Ushared", "active", None)).Order());
        Assert.Equal(newer.Id, await Store.FindByAddressAsync("line", "Ushared", None));
        Assert.Empty(await Store.SetAddressStateAsync("line", "Unobody", "gone", None));
    }

    private IAsyncEnumerable<ResidentProfile> ProfilesAsync(IReadOnlyCollection<Guid>? only) => Store.ReadProfilesAsync(only, None);

    private static NewResident Resident(IReadOnlyList<StoredPlace>? places = null, IReadOnlyList<NewEndpoint>? endpoints = null) =>
        new(Guid.NewGuid(), SHA256.HashData(RandomNumberGenerator.GetBytes(32)), null, [], null, [], places ?? [], endpoints ?? []);
}

public sealed class SqliteResidentStoreTests : ResidentStoreConformance
{
    private protected override async Task<(IResidentStore, IStoreTransactions)> CreateAsync()
    {
        var database = await Stores.SqliteAsync();
        return (new SqliteResidentStore(database), new SqliteStoreTransactions(database));
    }
}

[PostgresEngine]
public sealed class PostgresResidentStoreTests : ResidentStoreConformance
{
    private protected override async Task<(IResidentStore, IStoreTransactions)> CreateAsync()
    {
        var dataSource = await Stores.PostgresAsync();
        return (new PostgresResidentStore(dataSource), new PostgresStoreTransactions(dataSource));
    }
}
