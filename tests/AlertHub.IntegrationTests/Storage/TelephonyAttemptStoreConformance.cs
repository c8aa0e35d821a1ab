using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="ITelephonyAttemptStore"/> does, written once; each engine below runs it.</summary>
public abstract class TelephonyAttemptStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private static readonly Guid Resident = Guid.Parse("6f1c0e57-2b4a-4c1e-9a0b-3d2f1e0c9b8a");

    private protected TestStores Stores { get; } = new();

    private ITelephonyAttemptStore Store { get; set; } = null!;

    private IStoreTransactions Transactions { get; set; } = null!;

    private protected abstract Task<(ITelephonyAttemptStore Store, IStoreTransactions Transactions)> CreateAsync();

    /// <summary>Makes the resident exist where the engine's schema ties attempts to residents.</summary>
    private protected abstract Task AddResidentAsync(Guid id);

    public async Task InitializeAsync()
    {
        (Store, Transactions) = await CreateAsync();
        await AddResidentAsync(Resident);
    }

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    private static TelephonyAttemptStart Start(string key, string channel = "voice", Guid? resident = null, string alert = "a1b2c3d4e5f6") =>
        new(key, alert, 1, resident ?? Resident, channel, "+81182322111", "ja", "横手市です。避難指示を発令しました。");

    private Task<(TelephonyAttempt Attempt, bool Created)> BeginAsync(string key, string channel = "voice", Guid? resident = null, string alert = "a1b2c3d4e5f6") =>
        Store.BeginAsync(Start(key, channel, resident, alert), Now, CancellationToken.None);

    [StoreFact]
    public async Task Begin_NewKey_CreatesAttemptOnePlacingWithEveryField()
    {
        var (attempt, created) = await BeginAsync("k1");

        Assert.True(created);
        var expected = new TelephonyAttempt(attempt.Id, "k1", 1, "a1b2c3d4e5f6", 1, Resident, "voice", "+81182322111", "ja", "横手市です。避難指示を発令しました。",
            "placing", null, null, null, null, null, false, null, null, -1, Now.ToUnixTimeMilliseconds(), Now.ToUnixTimeMilliseconds());
        Assert.Equal(expected, attempt);
        Assert.Equal(expected, await Store.GetAsync(attempt.Id, CancellationToken.None));
        Assert.Equal(expected, await Store.FindAsync("k1", 1, CancellationToken.None));
        Assert.Null(await Store.FindAsync("k1", 2, CancellationToken.None));
        Assert.Null(await Store.GetAsync(attempt.Id + 1000, CancellationToken.None));
    }

    [StoreFact]
    public async Task Begin_KnownKey_ReturnsTheAttemptAsItIs()
    {
        var (first, _) = await BeginAsync("k1");
        await Store.MarkPlacedAsync(first.Id, "CA123", "queued", Now.AddSeconds(1), CancellationToken.None);

        var (again, created) = await Store.BeginAsync(Start("k1") with { Spoken = "別の文" }, Now.AddSeconds(2), CancellationToken.None);

        Assert.False(created);
        Assert.Equal(first with { State = "placed", Sid = "CA123", Status = "queued", UpdatedAt = Now.AddSeconds(1).ToUnixTimeMilliseconds() }, again);
    }

    [StoreFact]
    public async Task Begin_ConcurrentlyForOneKey_ExactlyOneCreates()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => BeginAsync("race"))));

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.Attempt.Id).Distinct());
    }

    [StoreFact]
    public async Task Marks_SetStateAndDetail_AndPlacedKeepsAStatusACallbackRecorded()
    {
        var (a, _) = await BeginAsync("k1");
        await Store.RecordStatusAsync(a.Id, "ringing", null, null, 1, Now, CancellationToken.None);
        await Store.MarkPlacedAsync(a.Id, "CA1", "queued", Now.AddSeconds(1), CancellationToken.None);
        var placed = await Store.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(("placed", "CA1", "ringing", (long?)null), (placed!.State, placed.Sid, placed.Status, placed.DueAt));

        await Store.RescheduleAsync(a.Id, Now.AddSeconds(30), "throttled", Now.AddSeconds(2), CancellationToken.None);
        var scheduled = await Store.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(("scheduled", Now.AddSeconds(30).ToUnixTimeMilliseconds(), "throttled", Now.AddSeconds(2).ToUnixTimeMilliseconds()),
            (scheduled!.State, scheduled.DueAt, scheduled.Detail, scheduled.UpdatedAt));

        await Store.ResetPlacingAsync(a.Id, "Twilio unreachable", Now, CancellationToken.None);
        var placing = await Store.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(("placing", "Twilio unreachable"), (placing!.State, placing.Detail));

        await Store.MarkRefusedAsync(a.Id, "21211", "invalid number", Now, CancellationToken.None);
        var refused = await Store.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(("refused", "21211", "invalid number", (long?)null), (refused!.State, refused.ErrorCode, refused.Detail, refused.DueAt));

        await Store.MarkSkippedAsync(a.Id, "the resident acknowledged the alert", Now, CancellationToken.None);
        var skipped = await Store.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(("skipped", "the resident acknowledged the alert"), (skipped!.State, skipped.Detail));
    }

    [StoreFact]
    public async Task RecordStatus_OutOfOrderCallbacks_NeverGoBack()
    {
        var (a, _) = await BeginAsync("k1");

        var ringing = await Store.RecordStatusAsync(a.Id, "ringing", null, null, 1, Now, CancellationToken.None);
        var completed = await Store.RecordStatusAsync(a.Id, "completed", "human", null, 3, Now, CancellationToken.None);
        var late = await Store.RecordStatusAsync(a.Id, "in-progress", "machine_start", "999", 2, Now, CancellationToken.None);

        Assert.Equal(("ringing", 1), (ringing!.Status, ringing.Sequence));
        Assert.Equal(("completed", "human", 3), (completed!.Status, completed.AnsweredBy, completed.Sequence));
        Assert.Equal(("completed", "human", (string?)null, 3), (late!.Status, late.AnsweredBy, late.ErrorCode, late.Sequence));

        var unnumbered = await Store.RecordStatusAsync(a.Id, "failed", null, "30008", -1, Now, CancellationToken.None);
        Assert.Equal(("failed", "human", "30008", 3), (unnumbered!.Status, unnumbered.AnsweredBy, unnumbered.ErrorCode, unnumbered.Sequence));
        Assert.Null(await Store.RecordStatusAsync(a.Id + 1000, "completed", null, null, 1, Now, CancellationToken.None));
    }

    [StoreFact]
    public async Task RecordDigits_OnceAcknowledged_StaysAcknowledged()
    {
        var (a, _) = await BeginAsync("k1");
        await Store.RecordAnsweredByAsync(a.Id, "human", Now, CancellationToken.None);

        await Store.RecordDigitsAsync(a.Id, "1", true, Now, CancellationToken.None);
        await Store.RecordDigitsAsync(a.Id, "9", false, Now, CancellationToken.None);

        var read = await Store.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(("9", true, "human"), (read!.Digits, read.Acknowledged, read.AnsweredBy));
    }

    [StoreFact]
    public async Task ScheduleRetry_SameCallbackManyTimesAtOnce_SchedulesOneRetry()
    {
        var (a, _) = await BeginAsync("k1");

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            Task.Run(() => Store.ScheduleRetryAsync(a.Id, Now.AddMinutes(3), Now.AddSeconds(5), CancellationToken.None))));

        Assert.Single(results, r => r);
        var retry = await Store.FindAsync("k1", 2, CancellationToken.None);
        Assert.NotNull(retry);
        Assert.Equal(a with
        {
            Id = retry.Id, Attempt = 2, State = "scheduled", DueAt = Now.AddMinutes(3).ToUnixTimeMilliseconds(),
            CreatedAt = Now.AddSeconds(5).ToUnixTimeMilliseconds(), UpdatedAt = Now.AddSeconds(5).ToUnixTimeMilliseconds(),
        }, retry);
        Assert.Equal("k1:2", retry.CallbackRef);
        Assert.False(await Store.ScheduleRetryAsync(a.Id + 1000, Now, Now, CancellationToken.None));
    }

    [StoreFact]
    public async Task ClaimDue_TakesTheChannelsDueRetriesEarliestFirstOnce()
    {
        var ids = new Dictionary<string, long>();
        foreach (var (key, channel, due) in new[] { ("late", "voice", 60), ("first", "voice", -30), ("second", "voice", -10), ("sms", "sms", -60), ("third", "voice", 0) })
        {
            var (a, _) = await BeginAsync(key, channel);
            await Store.RescheduleAsync(a.Id, Now.AddSeconds(due), "wait", Now, CancellationToken.None);
            ids[key] = a.Id;
        }

        var claimed = await Store.ClaimDueAsync("voice", 2, Now, CancellationToken.None);
        var rest = await Store.ClaimDueAsync("voice", 10, Now, CancellationToken.None);

        Assert.Equal(["first", "second"], claimed.Select(a => a.DeliveryKey));
        Assert.All(claimed, a => Assert.Equal("placing", a.State));
        Assert.Equal(["third"], rest.Select(a => a.DeliveryKey));
        Assert.Empty(await Store.ClaimDueAsync("voice", 10, Now, CancellationToken.None));
        Assert.Equal("scheduled", (await Store.GetAsync(ids["late"], CancellationToken.None))!.State);
        Assert.Equal("placing", (await Store.GetAsync(ids["first"], CancellationToken.None))!.State);
    }

    [StoreFact]
    public async Task ClaimDue_ManyClaimersAtOnce_NeverTakeTheSameAttempt()
    {
        for (var i = 0; i < 40; i++)
        {
            var (a, _) = await BeginAsync($"k{i}");
            await Store.RescheduleAsync(a.Id, Now.AddSeconds(-i), "wait", Now, CancellationToken.None);
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (await Store.ClaimDueAsync("voice", 3, Now, CancellationToken.None) is { Count: > 0 } batch)
            {
                mine.AddRange(batch.Select(a => a.Id));
            }

            return mine;
        })));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(40, all.Count);
        Assert.Equal(40, all.Distinct().Count());
    }

    [StoreFact]
    public async Task ReleaseStuckRetries_MakesRetriesLeftPlacingDueAndLeavesFirstAttempts()
    {
        var (first, _) = await BeginAsync("k1");
        await Store.ScheduleRetryAsync(first.Id, Now.AddMinutes(-1), Now, CancellationToken.None);
        var claimed = Assert.Single(await Store.ClaimDueAsync("voice", 10, Now, CancellationToken.None));

        var released = await Store.ReleaseStuckRetriesAsync(Now.AddMinutes(5), CancellationToken.None);

        Assert.Equal(1, released);
        var retry = await Store.GetAsync(claimed.Id, CancellationToken.None);
        Assert.Equal(("scheduled", Now.AddMinutes(5).ToUnixTimeMilliseconds()), (retry!.State, retry.DueAt));
        Assert.Equal("placing", (await Store.GetAsync(first.Id, CancellationToken.None))!.State);
    }

    [StoreFact]
    public async Task ReleaseStuckRetries_PlacingBefore_LeavesRetriesAnotherNodeIsPlacingNow()
    {
        var (old, _) = await BeginAsync("k-old");
        var (recent, _) = await BeginAsync("k-recent");
        await Store.ScheduleRetryAsync(old.Id, Now.AddMinutes(-1), Now, CancellationToken.None);
        await Store.ScheduleRetryAsync(recent.Id, Now.AddMinutes(10), Now, CancellationToken.None);
        var stuck = Assert.Single(await Store.ClaimDueAsync("voice", 10, Now, CancellationToken.None));
        var placingNow = Assert.Single(await Store.ClaimDueAsync("voice", 10, Now.AddMinutes(10), CancellationToken.None));

        var released = await Store.ReleaseStuckRetriesAsync(Now.AddMinutes(11), CancellationToken.None, placingBefore: Now.AddMinutes(9));

        Assert.Equal(1, released);
        Assert.Equal("scheduled", (await Store.GetAsync(stuck.Id, CancellationToken.None))!.State);
        Assert.Equal("placing", (await Store.GetAsync(placingNow.Id, CancellationToken.None))!.State);
    }

    [StoreFact]
    public async Task List_GivesTheAlertsAttemptsOldestFirstUpToTheLimit()
    {
        await BeginAsync("k1");
        await BeginAsync("other", alert: "ffffffffffff");
        await BeginAsync("k2", "sms");
        await BeginAsync("k3");

        Assert.Equal(["k1", "k2", "k3"], (await Store.ListAsync("a1b2c3d4e5f6", 10, CancellationToken.None)).Select(a => a.DeliveryKey));
        Assert.Equal(["k1", "k2"], (await Store.ListAsync("a1b2c3d4e5f6", 2, CancellationToken.None)).Select(a => a.DeliveryKey));
        Assert.Empty(await Store.ListAsync("nope", 10, CancellationToken.None));
    }

    [StoreFact]
    public async Task ForgetResident_RemovesOnlyTheirAttemptsWhenTheTransactionCommits()
    {
        var other = Guid.NewGuid();
        await AddResidentAsync(other);
        var (mine, _) = await BeginAsync("k1");
        await Store.ScheduleRetryAsync(mine.Id, Now, Now, CancellationToken.None);
        var (theirs, _) = await BeginAsync("k2", resident: other);

        await using (var rolledBack = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.Equal(2, await Store.ForgetResidentAsync(rolledBack, Resident, CancellationToken.None));
        }

        Assert.NotNull(await Store.GetAsync(mine.Id, CancellationToken.None));
        await using (var committed = await Transactions.BeginAsync(CancellationToken.None))
        {
            Assert.Equal(2, await Store.ForgetResidentAsync(committed, Resident, CancellationToken.None));
            await committed.CommitAsync(CancellationToken.None);
        }

        Assert.Equal([theirs.Id], (await Store.ListAsync("a1b2c3d4e5f6", 10, CancellationToken.None)).Select(a => a.Id));
    }
}

public sealed class SqliteTelephonyAttemptStoreTests : TelephonyAttemptStoreConformance
{
    private Database? _database;

    private protected override async Task<(ITelephonyAttemptStore Store, IStoreTransactions Transactions)> CreateAsync()
    {
        _database = await Stores.SqliteAsync();
        return (new SqliteTelephonyAttemptStore(_database), new SqliteStoreTransactions(_database));
    }

    /// <remarks>SQLite's attempts reference <c>residents</c> (which cascades); a bare row is enough.</remarks>
    private protected override async Task AddResidentAsync(Guid id)
    {
        await using var connection = await _database!.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO residents(id, token_hash, household_tags, tags, created_at, updated_at) VALUES ($id, x'00', '[]', '[]', '2026-08-01', '2026-08-01')";
        cmd.Parameters.AddWithValue("$id", id.ToString());
        await cmd.ExecuteNonQueryAsync();
    }
}

[PostgresEngine]
public sealed class PostgresTelephonyAttemptStoreTests : TelephonyAttemptStoreConformance
{
    private protected override async Task<(ITelephonyAttemptStore Store, IStoreTransactions Transactions)> CreateAsync()
    {
        var dataSource = await Stores.PostgresAsync();
        return (new PostgresTelephonyAttemptStore(dataSource), new PostgresStoreTransactions(dataSource));
    }

    private protected override Task AddResidentAsync(Guid id) => Task.CompletedTask;
}
