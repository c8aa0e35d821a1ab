using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Stores;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// What every engine's <see cref="IOutboxStore"/> does, written once: the outbox, not a worker's memory, says what is in
/// flight; a claim marks items Sending under the claimant's name and a lease; claimers race each other; a retraction
/// follows exactly the members an earlier version reached, may have reached or is sending to.
/// </summary>
public abstract class OutboxStoreConformance : IAsyncLifetime
{
    private const string Channel = "fcm";
    private const long Lease = 60_000;

    private protected TestStores Stores { get; } = new();

    private IOutboxStore Outbox { get; set; } = null!;

    private IStoreTransactions Transactions { get; set; } = null!;

    private protected abstract Task<(IOutboxStore Outbox, IStoreTransactions Transactions)> CreateAsync();

    /// <summary>Makes <paramref name="version"/> the alert's current one (the alert store's row, written here directly).</summary>
    private protected abstract Task SetCurrentVersionAsync(IStoreTransaction tx, string alertId, int version);

    private protected abstract Task<long> CountAsync(string table, string where);

    public async Task InitializeAsync() => (Outbox, Transactions) = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Claim_ClaimedItems_AreNotClaimedAgainUntilRecorded()
    {
        var outbox = Outbox;
        var residents = await QueueAsync("a1", 1, Residents(5), chunk: 2);

        var first = await outbox.ClaimDueAsync(Channel, 2, 2_000, "node-a", Lease, CancellationToken.None);
        var second = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-b", Lease, CancellationToken.None);

        Assert.Equal(residents[..2], first.Select(c => c.ResidentId));
        Assert.Equal(residents[2..], second.Select(c => c.ResidentId));
        Assert.Empty(await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None));
        Assert.Equal(3, await CountAsync("outbox_items", "state = 7"));
    }

    [StoreFact]
    public async Task Claim_ConcurrentClaimers_NeverTakeOneMemberTwice()
    {
        var outbox = Outbox;
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

    [StoreFact]
    public async Task Record_ByAnotherClaimant_ChangesNothing()
    {
        var outbox = Outbox;
        await QueueAsync("a1", 1, Residents(1), chunk: 10);
        var claimed = Assert.Single(await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None));

        var recorded = await outbox.RecordAsync([Delivered(claimed)], "node-b", 3_000, CancellationToken.None);

        Assert.Equal(0, recorded);
        Assert.Equal(1, await CountAsync("outbox_items", "state = 7 AND claimed_by = 'node-a'"));
        Assert.Equal(1, await outbox.RecordAsync([Delivered(claimed)], "node-a", 3_000, CancellationToken.None));
        Assert.Equal(1, await CountAsync("outbox_items", "state = 1"));
        Assert.Equal(1, await CountAsync("outbox_receipts", "outcome = 1"));
    }

    [StoreFact]
    public async Task ReleaseExpiredClaims_AfterTheLease_AnotherClaimantTakesOverAndTheOldOutcomeIsIgnored()
    {
        var outbox = Outbox;
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

    [StoreFact]
    public async Task ReleaseExpiredClaims_AtStartOfASingleNode_ReleasesEveryOtherClaimantsItems()
    {
        var outbox = Outbox;
        await QueueAsync("a1", 1, Residents(3), chunk: 1);
        await outbox.ClaimDueAsync(Channel, 2, 2_000, "dead-process", Lease, CancellationToken.None);
        await outbox.ClaimDueAsync(Channel, 1, 2_000, "this-process", Lease, CancellationToken.None);

        Assert.Equal(2, await outbox.ReleaseExpiredClaimsAsync(2_000, exceptClaimant: "this-process", CancellationToken.None));
        Assert.Equal(1, await CountAsync("outbox_items", "state = 7 AND claimed_by = 'this-process'"));
    }

    [StoreFact]
    public async Task ReleaseClaimsOf_DeadNodes_ReleasesOnlyTheirClaimsWhateverTheLease_AndTheirLateOutcomeIsIgnored()
    {
        var outbox = Outbox;
        await QueueAsync("a1", 1, Residents(4), chunk: 1);
        var ofDead = await outbox.ClaimDueAsync(Channel, 2, 2_000, "node-dead", Lease, CancellationToken.None);
        await outbox.ClaimDueAsync(Channel, 1, 2_000, "node-alive", Lease, CancellationToken.None);
        Assert.Equal(new Dictionary<string, int> { ["node-dead"] = 2, ["node-alive"] = 1 },
            (await outbox.ClaimsByClaimantAsync(CancellationToken.None)).OrderBy(p => p.Key).ToDictionary());

        Assert.Equal(0, await outbox.ReleaseClaimsOfAsync([], 2_100, CancellationToken.None));
        Assert.Equal(2, await outbox.ReleaseClaimsOfAsync(["node-dead", "node-never-seen"], 2_100, CancellationToken.None));

        Assert.Equal(new Dictionary<string, int> { ["node-alive"] = 1 }, (await outbox.ClaimsByClaimantAsync(CancellationToken.None)).ToDictionary());
        var retaken = await outbox.ClaimDueAsync(Channel, 10, 2_100, "node-b", Lease, CancellationToken.None);
        // The dead node's two and the one nobody had claimed; the live node's claim stays with it.
        Assert.Equal(3, retaken.Count);
        Assert.Subset(retaken.Select(w => w.Id).ToHashSet(), ofDead.Select(w => w.Id).ToHashSet());
        Assert.Equal(2, await CountAsync("outbox_items", "maybe_sent = 1"));
        await outbox.RecordAsync([Delivered(ofDead[0])], "node-dead", 2_200, CancellationToken.None);
        Assert.Equal(3, await CountAsync("outbox_items", "state = 7 AND claimed_by = 'node-b'"));
    }

    [StoreFact]
    public async Task ReleaseOwnClaims_ReleasesOnlyThatClaimantsClaimsOnThatChannel_MarkedMaybeSent()
    {
        var outbox = Outbox;
        var residents = Residents(4);
        await EnqueueAsync(new OutboxEnqueue("a1", 1, 33, RecipientRule.Targeted, 1_000,
            new Dictionary<string, IReadOnlyList<Guid>> { [Channel] = residents, ["line"] = residents }, [Channel, "line"], null, 0, [], _ => [], _ => 1));
        var mine = await outbox.ClaimDueAsync(Channel, 2, 2_000, "node-a", Lease, CancellationToken.None);
        await outbox.ClaimDueAsync(Channel, 1, 2_000, "node-b", Lease, CancellationToken.None);
        await outbox.ClaimDueAsync("line", 2, 2_000, "node-a", Lease, CancellationToken.None);

        Assert.Equal(2, await outbox.ReleaseOwnClaimsAsync("node-a", Channel, 2_100, CancellationToken.None));

        // node-a's claims on the other channel and node-b's claim on this one stay where they were.
        Assert.Equal(2, await CountAsync("outbox_items", $"state = 7 AND claimed_by = 'node-a' AND channel = 'line'"));
        Assert.Equal(1, await CountAsync("outbox_items", $"state = 7 AND claimed_by = 'node-b' AND channel = '{Channel}'"));
        Assert.Equal(0, await CountAsync("outbox_items", $"state = 7 AND claimed_by = 'node-a' AND channel = '{Channel}'"));
        Assert.Equal(2, await CountAsync("outbox_items", "maybe_sent = 1"));
        var retaken = await outbox.ClaimDueAsync(Channel, 10, 2_100, "node-c", Lease, CancellationToken.None);
        Assert.Equal(3, retaken.Count);
        Assert.Subset(retaken.Select(w => w.Id).ToHashSet(), mine.Select(w => w.Id).ToHashSet());
        Assert.Equal(0, await outbox.ReleaseOwnClaimsAsync("node-a", Channel, 2_200, CancellationToken.None));
    }

    [StoreFact]
    public async Task Claim_ReleasedPartlyRecordedItem_SendsOnlyTheMembersWithoutAnOutcome()
    {
        var outbox = Outbox;
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

    [StoreFact]
    public async Task Claim_NewerVersionForTheSameAlertAndChannel_WaitsWhileTheOlderOneIsBeingSent()
    {
        var outbox = Outbox;
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

    [StoreFact]
    public async Task Record_RetryOfAnOlderVersion_IsSupersededWhenANewerVersionExists_AndCountsAddUp()
    {
        var outbox = Outbox;
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

    [StoreFact]
    public async Task Record_TransientAndThrottled_BecomeARetryItemWithEachMembersCounts()
    {
        var outbox = Outbox;
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

    [StoreFact]
    public async Task RecordAgain_AfterAWriteThatCommittedUnseen_CountsNothingTwiceAndQueuesOneRetry()
    {
        var outbox = Outbox;
        await QueueAsync("a1", 1, Residents(4), chunk: 10);
        var claimed = await outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);
        WorkOutcome[] first = [Delivered(claimed[0]), new WorkOutcome(claimed[1].Id, WorkState.Pending, null, 5_000, 1, "HTTP 503")];
        Assert.Equal(2, await outbox.RecordAsync(first, "node-a", 2_500, CancellationToken.None));

        // The recorder never saw that write's answer: it writes the same outcomes again, with the next one that completed.
        Assert.Equal(1, await outbox.RecordAgainAsync([.. first, Delivered(claimed[2])], "node-a", 2_600, CancellationToken.None));

        Assert.Equal(3, await CountAsync("outbox_receipts", "1 = 1"));
        Assert.Equal(1, await CountAsync("outbox_items", "state = 0"));
        var v1 = Assert.Single(await outbox.VersionCountsAsync("a1", CancellationToken.None)).Delivery;
        // Pending: the member to retry and the one still being sent.
        Assert.Equal((4, 2, 2, 1), (v1.Targeted, v1.Delivered, v1.Pending, v1.Sending));
        // The last member completes the item: it is done, not waiting for a member counted twice.
        Assert.Equal(1, await outbox.RecordAgainAsync([Delivered(claimed[3])], "node-a", 2_700, CancellationToken.None));
        Assert.Equal(0, await CountAsync("outbox_items", "state = 7"));
    }

    [StoreFact]
    public async Task CheckBeforeSend_StaleMembersAndRetractionsOfNothing_AreReported()
    {
        var outbox = Outbox;
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

    [StoreFact]
    public async Task Enqueue_Update_ReachesTheTargetedAndEveryoneAnEarlierVersionWasQueuedFor()
    {
        var earlier = Residents(3);
        var added = Guid.NewGuid();
        await QueueAsync("a1", 1, earlier, chunk: 2);

        var (recipients, byChannel) = await EnqueueAsync(Enqueue("a1", 2, [added, earlier[0]], 2, RecipientRule.TargetedAndPrevious) with
        {
            ChannelsOf = _ => [Channel],
        });

        Guid[] everyone = [.. earlier.Append(added).Order()];
        Assert.Equal(4, recipients);
        Assert.Equal(4, byChannel[Channel]);
        Assert.Equal(everyone, (await Outbox.QueuedMembersAsync("a1", 2, CancellationToken.None)).Select(m => m.Member).Order());
        Assert.Equal(everyone, (await Outbox.EarlierResidentsAsync("a1", CancellationToken.None)).Order());
        var v1 = (await Outbox.VersionCountsAsync("a1", CancellationToken.None)).Single(c => c.Version == 1).Delivery;
        Assert.Equal((3, 3, 0), (v1.Targeted, v1.Superseded, v1.Pending));
    }

    [StoreFact]
    public async Task Enqueue_Retraction_GoesToTheReachedTheMaybeReachedAndThoseBeingSent_AndNobodyElse()
    {
        var residents = Residents(5);
        await QueueAsync("a1", 1, residents, chunk: 1);
        var claimed = await Outbox.ClaimDueAsync(Channel, 4, 2_000, "node-a", Lease, CancellationToken.None);
        await Outbox.RecordAsync(
        [
            Delivered(claimed[0]),
            new WorkOutcome(claimed[1].Id, WorkState.Failed, null, null, 1, "timed out", MayHaveReached: true),
            new WorkOutcome(claimed[2].Id, WorkState.Failed, null, null, 1, "HTTP 400"),
        ], "node-a", 2_500, CancellationToken.None);

        var (recipients, _) = await QueueAsync("a1", 2, [], chunk: 10, RecipientRule.PreviouslyDelivered);

        // residents[3] is still being sent (the cancel follows it); residents[4] was pending and is superseded.
        Assert.Equal(3, recipients);
        Assert.Equal([residents[0], residents[1], residents[3]], (await Outbox.QueuedMembersAsync("a1", 2, CancellationToken.None)).Select(m => m.Member).Order());
        Assert.Equal([residents[0], residents[1], residents[3]], (await Outbox.ReachedAsync("a1", CancellationToken.None))[Channel].Order());
    }

    [StoreFact]
    public async Task Enqueue_CancelWhileClaimersRace_FollowsEveryMemberThatWasClaimedAndLeavesNothingOfTheOldVersionPending()
    {
        for (var round = 0; round < 5; round++)
        {
            var alert = $"race{round}";
            var residents = Residents(400);
            await QueueAsync(alert, 1, residents, chunk: 7);
            var claimed = new System.Collections.Concurrent.ConcurrentBag<Guid>();
            using var stop = new CancellationTokenSource();
            var claimers = Enumerable.Range(0, 3).Select(n => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var work = await Outbox.ClaimDueAsync(Channel, 21, 2_000, $"node-{n}", Lease, CancellationToken.None);
                    foreach (var w in work.Where(w => w.Version == 1))
                    {
                        claimed.Add(w.ResidentId);
                    }

                    if (work.Count == 0)
                    {
                        await Task.Delay(1);
                    }
                }
            })).ToList();

            await Task.Delay(5 * round);
            await QueueAsync(alert, 2, [], chunk: 7, RecipientRule.PreviouslyDelivered);
            await stop.CancelAsync();
            await Task.WhenAll(claimers);

            var followed = (await Outbox.QueuedMembersAsync(alert, 2, CancellationToken.None)).Select(m => m.Member).ToHashSet();
            Assert.Subset(followed, claimed.ToHashSet());
            Assert.Equal(0, await CountAsync("outbox_items", $"alert_id = '{alert}' AND version = 1 AND state = 0"));
        }
    }

    [StoreFact]
    public async Task StopForAcknowledgement_StopsTheResidentsLaterEscalationSteps_AndCountsThemAcknowledged()
    {
        var resident = Guid.NewGuid();
        var q = Enqueue("a1", 1, [resident], 10, RecipientRule.Targeted) with
        {
            Targeted = new Dictionary<string, IReadOnlyList<Guid>> { ["fcm"] = [resident], ["email"] = [resident] },
            AllowedChannels = ["fcm", "email"],
            EscalationChannels = ["fcm", "email"],
            EscalationStepMs = 300_000,
        };
        await EnqueueAsync(q);

        var stopped = await Outbox.StopForAcknowledgementAsync("a1", resident, 3_000, CancellationToken.None);

        Assert.Equal(2, stopped);
        var counts = await Outbox.VersionCountsAsync("a1", CancellationToken.None);
        Assert.Equal(["email", "fcm"], counts.Select(c => c.Channel));
        Assert.All(counts, c => Assert.Equal((1, 1, 0L), (c.Delivery.Acknowledged, c.Delivery.Superseded, c.Delivery.Pending)));
        Assert.Empty(await Outbox.ClaimDueAsync("email", 10, 400_000, "node-a", Lease, CancellationToken.None));
    }

    [StoreFact]
    public async Task Record_Delivered_IsInTheResidentsHistoryLatenciesAndChannelFigures()
    {
        var residents = await QueueAsync("a1", 1, Residents(4), chunk: 10);
        var claimed = await Outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);

        await Outbox.RecordAsync([.. claimed.Select((c, k) => new WorkOutcome(c.Id, WorkState.Delivered, 1_000 + (100 * (k + 1)), null, 1, null))],
            "node-a", 2_500, CancellationToken.None);

        Assert.Equal(["a1"], await Outbox.AlertsForResidentAsync(residents[2], 0, 10, CancellationToken.None));
        var (latencies, first, last) = await Outbox.LatenciesAsync("a1", Channel, CancellationToken.None);
        Assert.Equal([100L, 200, 300, 400], latencies);
        Assert.Equal((1_100L, 1_400L), (first!.Value, last!.Value));
        var stats = (await Outbox.StatsSinceAsync(0, CancellationToken.None))[Channel];
        Assert.Equal((4L, 4L, 4L, 0L), (stats.Queued, stats.Sent, stats.Delivered, stats.Pending));
        Assert.Equal((200.0, 400.0), (stats.P50Ms, stats.P95Ms));
    }

    [StoreFact]
    public async Task ForgetResident_InsideTheCallersTransaction_RemovesTheirReceiptsOnlyWhenItCommits()
    {
        var residents = await QueueAsync("a1", 1, Residents(2), chunk: 10);
        var claimed = await Outbox.ClaimDueAsync(Channel, 10, 2_000, "node-a", Lease, CancellationToken.None);
        await Outbox.RecordAsync([.. claimed.Select(Delivered)], "node-a", 2_500, CancellationToken.None);

        await using (var rolledBack = await Transactions.BeginAsync(CancellationToken.None))
        {
            await Outbox.ForgetResidentAsync(rolledBack, residents[0], CancellationToken.None);
        }

        Assert.Equal(2, await CountAsync("outbox_receipts", "1 = 1"));
        await using (var tx = await Transactions.BeginAsync(CancellationToken.None))
        {
            await Outbox.ForgetResidentAsync(tx, residents[0], CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(1, await CountAsync("outbox_receipts", "1 = 1"));
        Assert.Empty(await Outbox.AlertsForResidentAsync(residents[0], 0, 10, CancellationToken.None));
    }

    [StoreFact]
    public async Task IndexPendingMembers_ALargeFanOutQueuedUnindexed_IsFoundByResidentAfterwards()
    {
        var residents = Residents(10);
        var q = Enqueue("big", 1, residents, 3, RecipientRule.Targeted);
        await EnqueueAsync(q);
        await Outbox.ReleaseAsync(residents[5], Channel, 1_000, CancellationToken.None);

        Assert.Equal(0, await Outbox.IndexPendingMembersAsync(100, queuedBeforeMs: 1_000, CancellationToken.None));
        Assert.Equal(["big"], await Outbox.AlertsForResidentAsync(residents[5], 0, 10, CancellationToken.None));
    }

    private static WorkOutcome Delivered(ClaimedWork work) => new(work.Id, WorkState.Delivered, 2_500, null, work.Attempts + 1, null);

    private static Guid[] Residents(int count) => [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).Order()];

    private static OutboxEnqueue Enqueue(string alertId, int version, Guid[] residents, int chunk, RecipientRule rule) =>
        new(alertId, version, 33, rule, 1_000, new Dictionary<string, IReadOnlyList<Guid>> { [Channel] = residents }, [Channel], null, 0, [], _ => [],
            _ => chunk);

    /// <summary>Queues a version of an alert for these residents on <see cref="Channel"/>, as the alert store does when it issues.</summary>
    private async Task<Guid[]> QueueAsync(string alertId, int version, Guid[] residents, int chunk)
    {
        await QueueAsync(alertId, version, residents, chunk, version == 1 ? RecipientRule.Targeted : RecipientRule.TargetedAndPrevious);
        return residents;
    }

    private Task<(int Recipients, Dictionary<string, int> ByChannel)> QueueAsync(string alertId, int version, Guid[] residents, int chunk, RecipientRule rule) =>
        EnqueueAsync(Enqueue(alertId, version, residents, chunk, rule));

    private async Task<(int Recipients, Dictionary<string, int> ByChannel)> EnqueueAsync(OutboxEnqueue q)
    {
        await using var tx = await Transactions.BeginAsync(CancellationToken.None);
        await SetCurrentVersionAsync(tx, q.AlertId, q.Version);
        var result = await Outbox.EnqueueAsync(tx, q, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return result;
    }
}

public sealed class SqliteOutboxStoreTests : OutboxStoreConformance
{
    private Database? _database;

    private protected override async Task<(IOutboxStore Outbox, IStoreTransactions Transactions)> CreateAsync()
    {
        _database = await Stores.SqliteAsync();
        return (new SqliteOutboxStore(_database), new SqliteStoreTransactions(_database));
    }

    private protected override async Task SetCurrentVersionAsync(IStoreTransaction tx, string alertId, int version)
    {
        await using var cmd = SqliteStoreTransaction.Of(tx).Command("""
            INSERT INTO alerts(id, current_version, state, created_at, created_by) VALUES ($a, $v, 'issued', '2026-01-01T00:00:00Z', 'test')
            ON CONFLICT(id) DO UPDATE SET current_version = $v
            """);
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$v", version);
        await cmd.ExecuteNonQueryAsync();
    }

    private protected override async Task<long> CountAsync(string table, string where)
    {
        await using var connection = await _database!.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {table} WHERE {where}";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}

[PostgresEngine]
public sealed class PostgresOutboxStoreTests : OutboxStoreConformance
{
    private NpgsqlDataSource? _dataSource;

    private protected override async Task<(IOutboxStore Outbox, IStoreTransactions Transactions)> CreateAsync()
    {
        _dataSource = await Stores.PostgresAsync();
        return (new PostgresOutboxStore(_dataSource), new PostgresStoreTransactions(_dataSource));
    }

    private protected override async Task SetCurrentVersionAsync(IStoreTransaction tx, string alertId, int version)
    {
        await using var cmd = PostgresStoreTransaction.Of(tx).Command("""
            INSERT INTO alerts(id, current_version, state, created_at, created_by) VALUES (@a, @v, 'issued', now(), 'test')
            ON CONFLICT(id) DO UPDATE SET current_version = @v
            """);
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("v", version);
        await cmd.ExecuteNonQueryAsync();
    }

    private protected override async Task<long> CountAsync(string table, string where)
    {
        await using var cmd = _dataSource!.CreateCommand($"SELECT COUNT(*) FROM {table} WHERE {where}");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
