namespace AlertHub.Core.Storage;

/// <summary>
/// The durable outbox; the owner of <c>outbox_items</c>, <c>outbox_receipts</c>, <c>outbox_counts</c> and
/// <c>outbox_members</c>. Work is queued as <b>items</b>: one row per chunk of recipients of one version on one channel (a
/// million recipients are a few thousand rows), and every attempt's outcome is appended as a <b>receipt</b>, so the record
/// of who was told what, and when, stays complete per resident and channel. The database, not a worker's memory, says what
/// is in flight: a claim moves items to <see cref="WorkState.Sending"/> under the claimant's name and a lease, and only that
/// claimant records their members' outcomes. A newer version's item waits while an older version's item of the same alert
/// and channel is being sent, so a retraction always arrives after what it retracts. Running counts per (alert, version,
/// channel) answer the board without counting receipts.
/// </summary>
/// <remarks>Times are Unix milliseconds, as the workers compute them from the hub's <see cref="TimeProvider"/>.</remarks>
internal interface IOutboxStore
{
    /// <summary>
    /// Queues one version inside the caller's transaction (the one that writes the version): items per channel and escalation
    /// step, the running counts, and, for an update, cancel or all-clear, the recipients its rule takes from earlier
    /// versions. Pending items of earlier versions are superseded; items being sent finish, and this version follows them.
    /// Returns the recipients (residents, not broadcast accounts) and the members queued per channel.
    /// </summary>
    Task<(int Recipients, Dictionary<string, int> ByChannel)> EnqueueAsync(IStoreTransaction transaction, OutboxEnqueue q, CancellationToken cancellationToken);

    /// <summary>The (channel, member) pairs already queued for a version (to finish queueing one that stopped part way).</summary>
    Task<HashSet<(string Channel, Guid Member)>> QueuedMembersAsync(string alertId, int version, CancellationToken cancellationToken);

    /// <summary>
    /// Indexes by resident the members of up to <paramref name="maxItems"/> items queued before <paramref name="queuedBeforeMs"/>
    /// that were queued unindexed (large fan-outs: the first seconds belong to sending). Returns how many items were indexed.
    /// </summary>
    Task<int> IndexPendingMembersAsync(int maxItems, long queuedBeforeMs, CancellationToken cancellationToken);

    /// <summary>
    /// Claims due items of a channel in priority order (then queue order), up to about <paramref name="limit"/> members:
    /// marks them Sending for <paramref name="claimant"/> until <paramref name="leaseUntilMs"/> and returns their unrecorded
    /// members with the resident's newest active endpoint on the channel and their language. An item waits while an older
    /// version's item of the same alert and channel is being sent. Two claimers never take the same item.
    /// </summary>
    Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, string claimant, long leaseUntilMs,
        CancellationToken cancellationToken);

    /// <summary>
    /// Of the given claimed members, those that must not be sent any more: a newer version of their alert exists (Stale), or
    /// — for <paramref name="followUps"/>, the members of a retraction — no earlier version reached or may have reached that
    /// (resident, channel) (NeverReached).
    /// </summary>
    Task<(IReadOnlySet<long> Stale, IReadOnlySet<long> NeverReached)> CheckBeforeSendAsync(IReadOnlyCollection<long> ids,
        IReadOnlyCollection<long> followUps, CancellationToken cancellationToken);

    /// <summary>
    /// Records outcomes of members of items <paramref name="claimant"/> holds, in one transaction: a receipt per attempt, the
    /// running counts, retry items for members to try again (superseded instead when a newer version exists), and items whose
    /// members are all recorded are done. Unsent members put their item back to pending. Returns how many outcomes were
    /// recorded (those of items whose lease was lost to another claimant are not).
    /// </summary>
    Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="RecordAsync"/> again, after it failed in a way that may have committed all the same (its answer lost with
    /// the database primary): members that already have a receipt in their item are left out, so nothing is counted twice
    /// and no retry is queued twice. A member has at most one receipt per item (a retry is a new item).
    /// </summary>
    Task<int> RecordAgainAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken);

    /// <summary>
    /// Claims whose lease ran out become pending again, due now, marked as maybe sent; with <paramref name="exceptClaimant"/>,
    /// every claim not held by that claimant (a single-node store at start-up). Returns how many items were released.
    /// </summary>
    Task<int> ReleaseExpiredClaimsAsync(long nowMs, string? exceptClaimant, CancellationToken cancellationToken);

    /// <summary>
    /// Every claim held by one of <paramref name="claimants"/> (nodes the cluster declared dead) becomes pending again, due
    /// now, marked as maybe sent, whatever its lease says. Returns how many items were released.
    /// </summary>
    Task<int> ReleaseClaimsOfAsync(IReadOnlyCollection<string> claimants, long nowMs, CancellationToken cancellationToken);

    /// <summary>
    /// Every claim <paramref name="claimant"/> holds on <paramref name="channel"/> becomes pending again, due now, marked as
    /// maybe sent. A node calls it when it may hold claims it does not know about (a claim committed, but its answer lost
    /// with the database primary), at a moment it holds none of that channel's claims in memory. Returns how many items
    /// were released.
    /// </summary>
    Task<int> ReleaseOwnClaimsAsync(string claimant, string channel, long nowMs, CancellationToken cancellationToken);

    /// <summary>Outbox items being sent right now, per claimant (node): what each node has in flight.</summary>
    Task<IReadOnlyDictionary<string, int>> ClaimsByClaimantAsync(CancellationToken cancellationToken);

    /// <summary>Makes a resident's waiting work on a channel due now (a SignalR client just subscribed).</summary>
    Task<int> ReleaseAsync(Guid residentId, string channel, long nowMs, CancellationToken cancellationToken);

    /// <summary>Stops a resident's waiting work for an alert (they acknowledged it); returns how many deliveries stopped.</summary>
    Task<int> StopForAcknowledgementAsync(string alertId, Guid residentId, long nowMs, CancellationToken cancellationToken);

    /// <summary>Per version and channel (ordered so): the running counts, with what is being sent right now.</summary>
    Task<IReadOnlyList<(int Version, string Channel, VersionDelivery Delivery)>> VersionCountsAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Per version and channel: pending members whose last attempt said <see cref="WorkState.NotConnected"/>.</summary>
    Task<IReadOnlyDictionary<(int Version, string Channel), long>> OfflineCountsAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Per channel: the residents any version reached, may have reached or is sending to (who a retraction goes to).</summary>
    Task<IReadOnlyDictionary<string, HashSet<Guid>>> ReachedAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Everyone any version of the alert was queued for (an update reaches them all again).</summary>
    Task<IReadOnlyList<Guid>> EarlierResidentsAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Issue → delivery latencies (ms) of an alert's delivered members on a channel, ascending, with the first and last delivery.</summary>
    Task<(List<long> Latencies, long? First, long? Last)> LatenciesAsync(string alertId, string channel, CancellationToken cancellationToken);

    /// <summary>The alerts a resident was queued for or attempted since <paramref name="sinceMs"/>, newest first.</summary>
    Task<IReadOnlyList<string>> AlertsForResidentAsync(Guid residentId, long sinceMs, int limit, CancellationToken cancellationToken);

    /// <summary>Forgets a resident's delivery record (receipts and the index of their waiting work), inside the caller's transaction.</summary>
    Task ForgetResidentAsync(IStoreTransaction transaction, Guid residentId, CancellationToken cancellationToken);

    /// <summary>Per channel, for versions queued since <paramref name="sinceMs"/>: counts by outcome, retries, throttles, latency.</summary>
    Task<IReadOnlyDictionary<string, ChannelWindowStats>> StatsSinceAsync(long sinceMs, CancellationToken cancellationToken);
}
