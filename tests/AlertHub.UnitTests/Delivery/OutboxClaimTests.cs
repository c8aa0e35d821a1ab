using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Delivery;

/// <summary>
/// The outbox, not a worker's memory, says what is in flight: a claim marks items Sending under the claimant's name
/// and a lease. These tests drive the store directly on a real SQLite file, including claimers racing each other.
/// </summary>
public sealed class OutboxClaimTests : IDisposable
{
    private const string Channel = "fcm";
    private const long Lease = 60_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alerthub-outbox-tests", Guid.NewGuid().ToString("N"));
    private Database? _database;
    private SqliteOutboxStore? _outbox;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Claim_ClaimedItems_AreNotClaimedAgainUntilRecorded()
    {
        var outbox = await NewOutboxAsync();
        var residents = await QueueAsync("a1", 1, Residents(5), chunk: 2);

        var first = await outbox.ClaimDueAsync(Channel, 2, 2_000, "node-a", Lease, CancellationToken.None);
        var second = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-b", Lease, CancellationToken.None);

        Assert.Equal(residents[..2], first.Select(c => c.ResidentId));
        Assert.Equal(residents[2..], second.Select(c => c.ResidentId));
        Assert.Empty(await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None));
        Assert.Equal(3, await CountAsync("outbox_items", "state = 7"));
    }

    [Fact]
    public async Task Claim_ConcurrentClaimers_NeverTakeOneMemberTwice()
    {
        var outbox = await NewOutboxAsync();
        await QueueAsync("a1", 1, Residents(3_000), chunk: 97);
        var taken = new System.Collections.Concurrent.ConcurrentBag<long>();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            while (true)
            {
                var claimed = await outbox.ClaimDueAsync(Channel, 200, 2_000, $"node-{n}", Lease, CancellationToken.None);
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
        await QueueAsync("a1", 1, Residents(1), chunk: 10);
        var claimed = Assert.Single(await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None));

        var recorded = await outbox.RecordAsync([Delivered(claimed)], "node-b", 3_000, CancellationToken.None);

        Assert.Equal(0, recorded);
        Assert.Equal(1, await CountAsync("outbox_items", "state = 7 AND claimed_by = 'node-a'"));
        Assert.Equal(1, await outbox.RecordAsync([Delivered(claimed)], "node-a", 3_000, CancellationToken.None));
        Assert.Equal(1, await CountAsync("outbox_items", "state = 1"));
        Assert.Equal(1, await CountAsync("outbox_receipts", "outcome = 1"));
    }

    [Fact]
    public async Task ReleaseExpiredClaims_AfterTheLease_AnotherClaimantTakesOverAndTheOldOutcomeIsIgnored()
    {
        var outbox = await NewOutboxAsync();
        await QueueAsync("a1", 1, Residents(2), chunk: 10);
        var old = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", leaseUntilMs: 10_000, CancellationToken.None);

        Assert.Equal(0, await outbox.ReleaseExpiredClaimsAsync(9_999, exceptClaimant: null, CancellationToken.None));
        Assert.Equal(1, await outbox.ReleaseExpiredClaimsAsync(10_001, exceptClaimant: null, CancellationToken.None));
        var retaken = await outbox.ClaimDueAsync(Channel, 10, 10_001, "node-b", Lease, CancellationToken.None);
        var late = await outbox.RecordAsync([Delivered(old[0])], "node-a", 11_000, CancellationToken.None);

        Assert.Equal(old.Select(o => o.Id), retaken.Select(r => r.Id));
        Assert.Equal(0, late);
        // An item released after its claimant died may have been sent: a retraction must follow its members.
        Assert.Equal(1, await CountAsync("outbox_items", "maybe_sent = 1"));
    }

    [Fact]
    public async Task ReleaseExpiredClaims_AtStartOfASingleNode_ReleasesEveryOtherClaimantsItems()
    {
        var outbox = await NewOutboxAsync();
        await QueueAsync("a1", 1, Residents(3), chunk: 1);
        await outbox.ClaimDueAsync(Channel, 2, 2_000, "dead-process", Lease, CancellationToken.None);
        await outbox.ClaimDueAsync(Channel, 1, 2_000, "this-process", Lease, CancellationToken.None);

        Assert.Equal(2, await outbox.ReleaseExpiredClaimsAsync(2_000, exceptClaimant: "this-process", CancellationToken.None));
        Assert.Equal(1, await CountAsync("outbox_items", "state = 7 AND claimed_by = 'this-process'"));
    }

    [Fact]
    public async Task Claim_ReleasedPartlyRecordedItem_SendsOnlyTheMembersWithoutAnOutcome()
    {
        var outbox = await NewOutboxAsync();
        await QueueAsync("a1", 1, Residents(3), chunk: 10);
        var claimed = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);
        await outbox.RecordAsync([Delivered(claimed[0])], "node-a", 2_500, CancellationToken.None);

        await outbox.ReleaseExpiredClaimsAsync(2_600, exceptClaimant: "node-b", CancellationToken.None);
        var again = await outbox.ClaimDueAsync(Channel, 10, 2_600, "node-b", Lease, CancellationToken.None);

        Assert.Equal(claimed.Skip(1).Select(c => c.Id), again.Select(c => c.Id));
        await outbox.RecordAsync([.. again.Select(Delivered)], "node-b", 2_700, CancellationToken.None);
        Assert.Equal(1, await CountAsync("outbox_items", "state = 1 AND recorded = 3"));
        Assert.Equal(3, await CountAsync("outbox_receipts", "outcome = 1"));
    }

    [Fact]
    public async Task Claim_NewerVersionForTheSameAlertAndChannel_WaitsWhileTheOlderOneIsBeingSent()
    {
        var outbox = await NewOutboxAsync();
        var resident = Guid.NewGuid();
        await QueueAsync("a1", 1, [resident], chunk: 10);
        var v1 = Assert.Single(await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None));
        await QueueAsync("a1", 2, [resident], chunk: 10);
        var other = await QueueAsync("a2", 1, Residents(1), chunk: 10);

        var whileSending = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-b", Lease, CancellationToken.None);
        await outbox.RecordAsync([Delivered(v1)], "node-a", 2_500, CancellationToken.None);
        var afterRecord = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-b", Lease, CancellationToken.None);

        Assert.Equal(other, whileSending.Select(c => c.ResidentId));
        var v2 = Assert.Single(afterRecord);
        Assert.Equal((resident, 2), (v2.ResidentId, v2.Version));
    }

    [Fact]
    public async Task Record_RetryOfAnOlderVersion_IsSupersededWhenANewerVersionExists_AndCountsAddUp()
    {
        var outbox = await NewOutboxAsync();
        await QueueAsync("a1", 1, Residents(2), chunk: 10);
        var claimed = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);
        await QueueAsync("a1", 2, [], chunk: 10);

        await outbox.RecordAsync(
        [
            new WorkOutcome(claimed[0].Id, WorkState.Pending, null, 60_000, 1, "timed out", MayHaveReached: true),
            Delivered(claimed[1]),
        ], "node-a", 2_500, CancellationToken.None);

        Assert.Equal(1, await CountAsync("outbox_receipts", "outcome = 5 AND maybe_reached = 1"));
        Assert.Equal(0, await CountAsync("outbox_items", "state = 0"));
        var v1 = (await outbox.VersionCountsAsync("a1", CancellationToken.None)).Single(c => c.Version == 1).Delivery;
        Assert.Equal((2, 1, 0, 1), (v1.Targeted, v1.Delivered, v1.Pending, v1.Superseded));
    }

    [Fact]
    public async Task Record_TransientAndThrottled_BecomeARetryItemWithEachMembersCounts()
    {
        var outbox = await NewOutboxAsync();
        await QueueAsync("a1", 1, Residents(2), chunk: 10);
        var claimed = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);

        await outbox.RecordAsync(
        [
            new WorkOutcome(claimed[0].Id, WorkState.Pending, null, 5_000, 1, "HTTP 503"),
            new WorkOutcome(claimed[1].Id, WorkState.Pending, null, 5_000, 1, "HTTP 429", Throttled: true, Throttles: 1),
        ], "node-a", 2_500, CancellationToken.None);
        Assert.Empty(await outbox.ClaimDueAsync(Channel, 10, 4_999, "node-a", Lease, CancellationToken.None));
        var retried = await outbox.ClaimDueAsync(Channel, 10, 5_000, "node-a", Lease, CancellationToken.None);

        Assert.Equal(claimed.Select(c => c.ResidentId), retried.Select(r => r.ResidentId));
        Assert.Equal([(1, 0), (1, 1)], retried.Select(r => (r.Attempts, r.Throttles)));
        Assert.Equal(2, await CountAsync("outbox_receipts", "outcome = 0"));
        var v1 = Assert.Single(await outbox.VersionCountsAsync("a1", CancellationToken.None)).Delivery;
        Assert.Equal((2, 0, 2, 2), (v1.Targeted, v1.Delivered, v1.Pending, v1.Sending));
    }

    [Fact]
    public async Task CheckBeforeSend_StaleMembersAndRetractionsOfNothing_AreReported()
    {
        var outbox = await NewOutboxAsync();
        var reached = Guid.NewGuid();
        var maybe = Guid.NewGuid();
        var never = Guid.NewGuid();
        await QueueAsync("old", 1, Residents(1), chunk: 10);
        await QueueAsync("a1", 1, [reached, maybe, never], chunk: 10);
        var first = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);
        var stale = first.Single(c => c.AlertId == "old");
        await outbox.RecordAsync(
        [
            Delivered(first.Single(c => c.ResidentId == reached)),
            new WorkOutcome(first.Single(c => c.ResidentId == maybe).Id, WorkState.Failed, null, null, 1, "timed out, gave up", MayHaveReached: true),
            new WorkOutcome(first.Single(c => c.ResidentId == never).Id, WorkState.Failed, null, null, 1, "HTTP 400"),
        ], "node-a", 2_500, CancellationToken.None);
        await QueueAsync("old", 2, [], chunk: 10);
        await QueueAsync("a1", 2, [reached, maybe, never], chunk: 10);
        var cancel = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);

        var (staleIds, neverReached) = await outbox.CheckBeforeSendAsync([stale.Id, .. cancel.Select(c => c.Id)], [.. cancel.Select(c => c.Id)], CancellationToken.None);

        Assert.Equal([stale.Id], staleIds);
        Assert.Equal([cancel.Single(c => c.ResidentId == never).Id], neverReached);
    }

    private static WorkOutcome Delivered(ClaimedWork work) => new(work.Id, WorkState.Delivered, 2_500, null, work.Attempts + 1, null);

    private static Guid[] Residents(int count) => [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).Order()];

    private async Task<SqliteOutboxStore> NewOutboxAsync()
    {
        _database = new Database(Options.Create(new StorageOptions { DataDirectory = _dir }), new TestHostEnvironment());
        await _database.MigrateAsync(CancellationToken.None);
        return _outbox = new SqliteOutboxStore(_database);
    }

    /// <summary>Queues a version of an alert for these residents on <see cref="Channel"/>, as the alert store does when it issues.</summary>
    private async Task<Guid[]> QueueAsync(string alertId, int version, Guid[] residents, int chunk)
    {
        await using var tx = await SqliteStoreTransaction.BeginAsync(_database!, CancellationToken.None);
        await using (var cmd = tx.Command("""
                INSERT INTO alerts(id, current_version, state, created_at, created_by) VALUES ($a, $v, 'issued', '2026-01-01T00:00:00Z', 'test')
                ON CONFLICT(id) DO UPDATE SET current_version = $v
                """))
        {
            cmd.Parameters.AddWithValue("$a", alertId);
            cmd.Parameters.AddWithValue("$v", version);
            await cmd.ExecuteNonQueryAsync();
        }

        var rule = version == 1 ? RecipientRule.Targeted : RecipientRule.TargetedAndPrevious;
        await _outbox!.EnqueueAsync(tx, new OutboxEnqueue(alertId, version, 33, rule, 1_000,
            new Dictionary<string, IReadOnlyList<Guid>> { [Channel] = residents }, [Channel], null, 0, [], _ => [], _ => chunk), CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return residents;
    }

    private async Task<long> CountAsync(string table, string where)
    {
        await using var connection = await _database!.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {table} WHERE {where}";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
