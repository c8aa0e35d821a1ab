using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="ILineEventStore"/> does, written once; each engine below runs it.</summary>
public abstract class LineEventStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));
    private static readonly CancellationToken None = CancellationToken.None;

    private protected TestStores Stores { get; } = new();

    private ILineEventStore Store { get; set; } = null!;

    private protected abstract Task<ILineEventStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Claim_TheSameIdTwice_OnlyTheFirstWins_UntilItIsReleased()
    {
        Assert.True(await Store.ClaimAsync("01FZ74A0TDDPYRVKNK77XKC3ZR", At, None));
        Assert.False(await Store.ClaimAsync("01FZ74A0TDDPYRVKNK77XKC3ZR", At.AddSeconds(5), None));
        Assert.True(await Store.ClaimAsync("01FZ74A0TDDPYRVKNK77XKC3ZS", At, None));

        await Store.ReleaseAsync("01FZ74A0TDDPYRVKNK77XKC3ZR", None);
        await Store.ReleaseAsync("never-seen", None);

        Assert.True(await Store.ClaimAsync("01FZ74A0TDDPYRVKNK77XKC3ZR", At.AddSeconds(10), None));
    }

    [StoreFact]
    public async Task Claim_ManyAtOnce_ExactlyOneWins()
    {
        var won = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.ClaimAsync("redelivered", At, None))));

        Assert.Single(won, w => w);
    }

    [StoreFact]
    public async Task Prune_ForgetsOnlyIdsReceivedBeforeTheCutoff()
    {
        await Store.ClaimAsync("old", At.AddDays(-8), None);
        await Store.ClaimAsync("recent", At.AddDays(-6), None);

        // The cutoff given in UTC is the same instant as At - 7 days in +09:00.
        Assert.Equal(1, await Store.PruneAsync(At.AddDays(-7).ToOffset(TimeSpan.Zero), None));

        Assert.True(await Store.ClaimAsync("old", At, None));
        Assert.False(await Store.ClaimAsync("recent", At, None));
    }
}

public sealed class SqliteLineEventStoreTests : LineEventStoreConformance
{
    private protected override async Task<ILineEventStore> CreateAsync() => new SqliteLineEventStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresLineEventStoreTests : LineEventStoreConformance
{
    private protected override async Task<ILineEventStore> CreateAsync() => new PostgresLineEventStore(await Stores.PostgresAsync());
}
