using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Delivery;

/// <summary>
/// The outbox, not a worker's memory, says what is in flight: a claim marks rows Sending under the claimant's name
/// and a lease. These tests drive the store directly on a real SQLite file, including claimers racing each other.
/// </summary>
public sealed class OutboxClaimTests : IDisposable
{
    private const string Channel = "fcm";
    private const long Lease = 60_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alerthub-outbox-tests", Guid.NewGuid().ToString("N"));
    private Database? _database;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Claim_ClaimedRows_AreNotClaimedAgainUntilRecorded()
    {
        var outbox = await NewOutboxAsync();
        var ids = await AddWorkAsync("a1", 1, 5);

        var first = await outbox.ClaimDueAsync(Channel, 2, 2_000, "node-a", Lease, CancellationToken.None);
        var second = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-b", Lease, CancellationToken.None);

        Assert.Equal([ids[0], ids[1]], first.Select(c => c.Id));
        Assert.Equal([ids[2], ids[3], ids[4]], second.Select(c => c.Id));
        Assert.Empty(await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None));
        Assert.Equal(5, await CountAsync("state = 7"));
    }

    [Fact]
    public async Task Claim_ConcurrentClaimers_NeverTakeOneRowTwice()
    {
        var outbox = await NewOutboxAsync();
        await AddWorkAsync("a1", 1, 3_000);
        var taken = new System.Collections.Concurrent.ConcurrentBag<long>();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            while (true)
            {
                var claimed = await outbox.ClaimDueAsync(Channel, 97, 2_000, $"node-{n}", Lease, CancellationToken.None);
                if (claimed.Count == 0)
                {
                    return;
                }

                foreach (var c in claimed)
                {
                    taken.Add(c.Id);
                }
            }
        })));

        Assert.Equal(3_000, taken.Count);
        Assert.Equal(3_000, taken.Distinct().Count());
    }

    [Fact]
    public async Task Record_ByAnotherClaimant_ChangesNothing()
    {
        var outbox = await NewOutboxAsync();
        var ids = await AddWorkAsync("a1", 1, 1);
        await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);

        var recorded = await outbox.RecordAsync([new WorkOutcome(ids[0], WorkState.Delivered, 3_000, null, 1, null)], "node-b", CancellationToken.None);

        Assert.Equal(0, recorded);
        Assert.Equal(1, await CountAsync("state = 7 AND claimed_by = 'node-a'"));
        Assert.Equal(1, await outbox.RecordAsync([new WorkOutcome(ids[0], WorkState.Delivered, 3_000, null, 1, null)], "node-a", CancellationToken.None));
        Assert.Equal(1, await CountAsync("state = 1"));
    }

    [Fact]
    public async Task ReleaseExpiredClaims_AfterTheLease_AnotherClaimantTakesOverAndTheOldOutcomeIsIgnored()
    {
        var outbox = await NewOutboxAsync();
        var ids = await AddWorkAsync("a1", 1, 2);
        await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", leaseUntilMs: 10_000, CancellationToken.None);

        Assert.Equal(0, await outbox.ReleaseExpiredClaimsAsync(9_999, exceptClaimant: null, CancellationToken.None));
        Assert.Equal(2, await outbox.ReleaseExpiredClaimsAsync(10_001, exceptClaimant: null, CancellationToken.None));
        var retaken = await outbox.ClaimDueAsync(Channel, 10, 10_001, "node-b", Lease, CancellationToken.None);
        var late = await outbox.RecordAsync([new WorkOutcome(ids[0], WorkState.Delivered, 11_000, null, 1, null)], "node-a", CancellationToken.None);

        Assert.Equal(ids, retaken.Select(c => c.Id));
        Assert.Equal(0, late);
        // A released claim may have been sent before its holder died: a retraction must follow it.
        Assert.Equal(2, await CountAsync("maybe_reached = 1"));
    }

    [Fact]
    public async Task ReleaseExpiredClaims_AtStartOfASingleNode_ReleasesEveryOtherClaimantsRows()
    {
        var outbox = await NewOutboxAsync();
        await AddWorkAsync("a1", 1, 3);
        await outbox.ClaimDueAsync(Channel, 2, 2_000, "dead-process", Lease, CancellationToken.None);
        await outbox.ClaimDueAsync(Channel, 1, 2_000, "this-process", Lease, CancellationToken.None);

        Assert.Equal(2, await outbox.ReleaseExpiredClaimsAsync(2_000, exceptClaimant: "this-process", CancellationToken.None));
        Assert.Equal(1, await CountAsync("state = 7 AND claimed_by = 'this-process'"));
    }

    [Fact]
    public async Task Claim_NewerVersionForTheSameAddress_WaitsWhileTheOlderOneIsBeingSent()
    {
        var outbox = await NewOutboxAsync();
        var resident = Guid.NewGuid();
        var v1 = await AddWorkAsync("a1", 1, 1, resident);
        await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);
        var v2 = await AddWorkAsync("a1", 2, 1, resident);
        var other = await AddWorkAsync("a1", 2, 1);

        var whileSending = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-b", Lease, CancellationToken.None);
        await outbox.RecordAsync([new WorkOutcome(v1[0], WorkState.Delivered, 2_500, null, 1, null)], "node-a", CancellationToken.None);
        var afterRecord = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-b", Lease, CancellationToken.None);

        Assert.Equal(other, whileSending.Select(c => c.Id));
        Assert.Equal(v2, afterRecord.Select(c => c.Id));
    }

    [Fact]
    public async Task Record_RetryOfAnOlderVersion_IsSupersededWhenANewerVersionExists()
    {
        var outbox = await NewOutboxAsync();
        await SetCurrentVersionAsync("a1", 1);
        var ids = await AddWorkAsync("a1", 1, 2);
        await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);
        await SetCurrentVersionAsync("a1", 2);

        await outbox.RecordAsync(
        [
            new WorkOutcome(ids[0], WorkState.Pending, null, 60_000, 1, "timed out", MayHaveReached: true),
            new WorkOutcome(ids[1], WorkState.Delivered, 2_500, null, 1, null),
        ], "node-a", CancellationToken.None);

        Assert.Equal(1, await CountAsync($"id = {ids[0]} AND state = 5 AND maybe_reached = 1"));
        Assert.Equal(1, await CountAsync($"id = {ids[1]} AND state = 1"));
    }

    [Fact]
    public async Task CheckBeforeSend_StaleRowsAndRetractionsOfNothing_AreReported()
    {
        var outbox = await NewOutboxAsync();
        var reached = Guid.NewGuid();
        var maybe = Guid.NewGuid();
        var never = Guid.NewGuid();
        await SetCurrentVersionAsync("old", 2);
        await SetCurrentVersionAsync("a1", 2);
        var stale = await AddWorkAsync("old", 1, 1);
        await AddWorkAsync("a1", 1, 1, reached, state: WorkState.Delivered);
        await AddWorkAsync("a1", 1, 1, maybe, state: WorkState.Superseded, maybeReached: true);
        await AddWorkAsync("a1", 1, 1, never, state: WorkState.Failed);
        var cancelReached = await AddWorkAsync("a1", 2, 1, reached);
        var cancelMaybe = await AddWorkAsync("a1", 2, 1, maybe);
        var cancelNever = await AddWorkAsync("a1", 2, 1, never);
        long[] all = [stale[0], cancelReached[0], cancelMaybe[0], cancelNever[0]];

        var (staleIds, neverReached) = await outbox.CheckBeforeSendAsync(all, [cancelReached[0], cancelMaybe[0], cancelNever[0]], CancellationToken.None);

        Assert.Equal([stale[0]], staleIds);
        Assert.Equal([cancelNever[0]], neverReached);
    }

    private async Task<OutboxStore> NewOutboxAsync()
    {
        _database = new Database(Options.Create(new StorageOptions { DataDirectory = _dir }), new TestHostEnvironment());
        await _database.MigrateAsync(CancellationToken.None);
        return new OutboxStore(_database);
    }

    private async Task SetCurrentVersionAsync(string alertId, int version)
    {
        await using var connection = await _database!.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO alerts(id, current_version, state, created_at, created_by) VALUES ($a, $v, 'issued', '2026-01-01T00:00:00Z', 'test')
            ON CONFLICT(id) DO UPDATE SET current_version = $v
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$v", version);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<long[]> AddWorkAsync(string alertId, int version, int count, Guid? resident = null, int state = WorkState.Pending, bool maybeReached = false)
    {
        await using var connection = await _database!.OpenAsync();
        var ids = new long[count];
        for (var i = 0; i < count; i++)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                INSERT INTO delivery_work(alert_id, version, resident_id, channel, priority, next_attempt_at, queued_at, state, maybe_reached)
                VALUES ($a, $v, $resident, $channel, 3, 0, 0, $state, $reached) RETURNING id
                """;
            cmd.Parameters.AddWithValue("$a", alertId);
            cmd.Parameters.AddWithValue("$v", version);
            cmd.Parameters.AddWithValue("$resident", (resident ?? Guid.NewGuid()).ToString());
            cmd.Parameters.AddWithValue("$channel", Channel);
            cmd.Parameters.AddWithValue("$state", state);
            cmd.Parameters.AddWithValue("$reached", maybeReached ? 1 : 0);
            ids[i] = (long)(await cmd.ExecuteScalarAsync())!;
        }

        return ids;
    }

    private async Task<long> CountAsync(string where)
    {
        await using var connection = await _database!.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM delivery_work WHERE " + where;
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
