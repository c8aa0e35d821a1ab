using System.Security.Cryptography;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IStaffUserStore"/> does, written once; each engine below runs it.</summary>
public abstract class StaffUserStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 0, 0, 250, TimeSpan.Zero);

    private protected TestStores Stores { get; } = new();

    private IStaffUserStore Store { get; set; } = null!;

    private protected abstract Task<IStaffUserStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Create_ThenFind_ReadsBackTheUserAndHash_AndATakenNameIsRefused()
    {
        var user = new StaffUser("tanaka", "田中 一郎", ["issuer", "viewer"], false, At, At);
        Assert.False(await Store.AnyAsync(CancellationToken.None));

        Assert.True(await Store.CreateAsync(user, "pbkdf2$1$a", CancellationToken.None));
        Assert.False(await Store.CreateAsync(user with { DisplayName = "other" }, "pbkdf2$1$b", CancellationToken.None));

        var (found, hash) = (await Store.FindAsync("tanaka", CancellationToken.None))!.Value;
        AssertSame(user, found);
        Assert.Equal("pbkdf2$1$a", hash);
        Assert.True(await Store.AnyAsync(CancellationToken.None));
        Assert.Null(await Store.FindAsync("nobody", CancellationToken.None));
    }

    [StoreFact]
    public async Task Update_NewPasswordWithEndSessions_EndsOnlyThatUsersSessions()
    {
        await Store.CreateAsync(new StaffUser("tanaka", "田中", ["issuer"], false, At, At), "h1", CancellationToken.None);
        await Store.CreateAsync(new StaffUser("sato", "佐藤", ["approver"], false, At, At), "h2", CancellationToken.None);
        var (mine, theirs) = (Id(), Id());
        await Store.StartSessionAsync(mine, "tanaka", "csrf-1", At, CancellationToken.None);
        await Store.StartSessionAsync(theirs, "sato", "csrf-2", At, CancellationToken.None);

        var changed = new StaffUser("tanaka", "田中 一郎", ["issuer", "approver"], false, At, At);
        Assert.True(await Store.UpdateAsync(changed, "h3", At.AddHours(1), endSessions: true, CancellationToken.None));

        Assert.Null(await Store.GetSessionAsync(mine, CancellationToken.None));
        Assert.NotNull(await Store.GetSessionAsync(theirs, CancellationToken.None));
        var (found, hash) = (await Store.FindAsync("tanaka", CancellationToken.None))!.Value;
        Assert.Equal("h3", hash);
        AssertSame(changed with { UpdatedAt = At.AddHours(1) }, found);
    }

    [StoreFact]
    public async Task Update_WithoutPasswordOrEndSessions_KeepsHashAndSessions_AndUnknownUserIsFalse()
    {
        await Store.CreateAsync(new StaffUser("tanaka", "田中", ["issuer"], false, At, At), "h1", CancellationToken.None);
        var session = Id();
        await Store.StartSessionAsync(session, "tanaka", "csrf", At, CancellationToken.None);

        Assert.True(await Store.UpdateAsync(new StaffUser("tanaka", "田中", ["viewer"], false, At, At), null, At.AddHours(1), endSessions: false, CancellationToken.None));
        Assert.False(await Store.UpdateAsync(new StaffUser("nobody", "x", [], false, At, At), null, At, endSessions: true, CancellationToken.None));

        Assert.Equal("h1", (await Store.FindAsync("tanaka", CancellationToken.None))!.Value.PasswordHash);
        var (s, user) = (await Store.GetSessionAsync(session, CancellationToken.None))!.Value;
        Assert.Equal(["viewer"], user.Roles);
        Assert.Equal(new StaffSession("tanaka", "csrf", At, At), s);
    }

    [StoreFact]
    public async Task Sessions_TouchMovesLastSeen_EndRemovesIt_DeletingTheUserTakesTheRest()
    {
        await Store.CreateAsync(new StaffUser("tanaka", "田中", ["issuer"], false, At, At), "h1", CancellationToken.None);
        var (a, b) = (Id(), Id());
        await Store.StartSessionAsync(a, "tanaka", "c1", At, CancellationToken.None);
        await Store.StartSessionAsync(b, "tanaka", "c2", At, CancellationToken.None);

        await Store.TouchSessionAsync(a, At.AddMinutes(7), CancellationToken.None);
        Assert.Equal(At.AddMinutes(7), (await Store.GetSessionAsync(a, CancellationToken.None))!.Value.Session.LastSeenAt);

        await Store.EndSessionAsync(a, CancellationToken.None);
        Assert.Null(await Store.GetSessionAsync(a, CancellationToken.None));

        Assert.True(await Store.DeleteAsync("tanaka", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("tanaka", CancellationToken.None));
        Assert.Null(await Store.GetSessionAsync(b, CancellationToken.None));
    }

    [StoreFact]
    public async Task Rehash_ReplacesOnlyTheHash_AndListIsByUsername()
    {
        await Store.CreateAsync(new StaffUser("sato", "佐藤", ["approver"], true, At, At), "old", CancellationToken.None);
        await Store.CreateAsync(new StaffUser("abe", "阿部", ["admin"], false, At, At), "h", CancellationToken.None);

        await Store.RehashAsync("sato", "new", CancellationToken.None);

        var (found, hash) = (await Store.FindAsync("sato", CancellationToken.None))!.Value;
        Assert.Equal("new", hash);
        Assert.True(found.Disabled);
        Assert.Equal(["abe", "sato"], (await Store.ListAsync(CancellationToken.None)).Select(u => u.Username));
    }

    private static void AssertSame(StaffUser expected, StaffUser actual)
    {
        Assert.Equal(expected with { Roles = [] }, actual with { Roles = [] });
        Assert.Equal(expected.Roles, actual.Roles);
    }

    private static byte[] Id() => SHA256.HashData(RandomNumberGenerator.GetBytes(32));
}

public sealed class SqliteStaffUserStoreTests : StaffUserStoreConformance
{
    private protected override async Task<IStaffUserStore> CreateAsync() => new SqliteStaffUserStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresStaffUserStoreTests : StaffUserStoreConformance
{
    private protected override async Task<IStaffUserStore> CreateAsync() => new PostgresStaffUserStore(await Stores.PostgresAsync());
}
