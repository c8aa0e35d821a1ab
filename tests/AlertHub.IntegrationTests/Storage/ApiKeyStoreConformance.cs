using System.Security.Cryptography;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IApiKeyStore"/> does, written once; each engine below runs it.</summary>
public abstract class ApiKeyStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 0, 0, 123, TimeSpan.Zero);

    private protected TestStores Stores { get; } = new();

    private IApiKeyStore Store { get; set; } = null!;

    private protected abstract Task<IApiKeyStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Any_EmptyStore_IsFalseUntilAKeyIsCreated()
    {
        Assert.False(await Store.AnyAsync(CancellationToken.None));

        await Store.InsertAsync(new StaffKey("k1", "bootstrap admin", "admin", At, null), Hash(), CancellationToken.None);

        Assert.True(await Store.AnyAsync(CancellationToken.None));
    }

    [StoreFact]
    public async Task Active_ReturnsTheHashOfEachKeyNotRevoked()
    {
        var (first, second) = (Hash(), Hash());
        await Store.InsertAsync(new StaffKey("k1", "夜間当直", "viewer", At, null), first, CancellationToken.None);
        await Store.InsertAsync(new StaffKey("k2", "issuer", "issuer", At.AddSeconds(1), null), second, CancellationToken.None);
        await Store.RevokeAsync("k1", At.AddMinutes(1), CancellationToken.None);

        var active = await Store.ActiveAsync(CancellationToken.None);

        var only = Assert.Single(active);
        Assert.Equal(new StaffKey("k2", "issuer", "issuer", At.AddSeconds(1), null), only.Key);
        Assert.Equal(second, only.Hash);
    }

    [StoreFact]
    public async Task FindActive_ByHash_FindsTheKeyUntilItIsRevoked()
    {
        var (hash, other) = (Hash(), Hash());
        await Store.InsertAsync(new StaffKey("k1", "夜間当直", "viewer", At, null), hash, CancellationToken.None);

        Assert.Equal(new StaffKey("k1", "夜間当直", "viewer", At, null), await Store.FindActiveAsync(hash, CancellationToken.None));
        Assert.Null(await Store.FindActiveAsync(other, CancellationToken.None));

        await Store.RevokeAsync("k1", At.AddMinutes(1), CancellationToken.None);

        Assert.Null(await Store.FindActiveAsync(hash, CancellationToken.None));
    }

    [StoreFact]
    public async Task Revoke_OnlyOnce_AndTheListKeepsTheRevokedKeyWithItsTime()
    {
        await Store.InsertAsync(new StaffKey("k1", "夜間当直", "viewer", At, null), Hash(), CancellationToken.None);

        Assert.True(await Store.RevokeAsync("k1", At.AddMinutes(1), CancellationToken.None));
        Assert.False(await Store.RevokeAsync("k1", At.AddMinutes(2), CancellationToken.None));
        Assert.False(await Store.RevokeAsync("unknown", At.AddMinutes(2), CancellationToken.None));

        var listed = Assert.Single(await Store.ListAsync(CancellationToken.None));
        Assert.Equal(new StaffKey("k1", "夜間当直", "viewer", At, At.AddMinutes(1)), listed);
    }

    [StoreFact]
    public async Task List_OldestFirst()
    {
        await Store.InsertAsync(new StaffKey("b", "later", "viewer", At.AddHours(1), null), Hash(), CancellationToken.None);
        await Store.InsertAsync(new StaffKey("a", "earlier", "viewer", At, null), Hash(), CancellationToken.None);

        Assert.Equal(["a", "b"], (await Store.ListAsync(CancellationToken.None)).Select(k => k.Id));
    }

    [StoreFact]
    public async Task Insert_SameHashTwice_IsRefused()
    {
        var hash = Hash();
        await Store.InsertAsync(new StaffKey("k1", "one", "viewer", At, null), hash, CancellationToken.None);

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() =>
            Store.InsertAsync(new StaffKey("k2", "two", "viewer", At, null), hash, CancellationToken.None));
        Assert.Single(await Store.ListAsync(CancellationToken.None));
    }

    private static byte[] Hash() => SHA256.HashData(RandomNumberGenerator.GetBytes(32));
}

public sealed class SqliteApiKeyStoreTests : ApiKeyStoreConformance
{
    private protected override async Task<IApiKeyStore> CreateAsync() => new SqliteApiKeyStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresApiKeyStoreTests : ApiKeyStoreConformance
{
    private protected override async Task<IApiKeyStore> CreateAsync() => new PostgresApiKeyStore(await Stores.PostgresAsync());
}
