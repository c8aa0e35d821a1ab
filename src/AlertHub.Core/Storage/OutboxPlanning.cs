namespace AlertHub.Core.Storage;

/// <summary>An item held by a claimant, as <see cref="OutboxPlanning.PlanOutcomes"/> needs it.</summary>
/// <param name="CurrentVersion">The alert's newest version now (a retry of an older one is superseded instead).</param>
internal sealed record HeldItem(string Alert, int Version, string Channel, int Priority, long QueuedAt, IReadOnlyList<Guid> Members, int CurrentVersion);

/// <summary>One receipt to append: an attempt's outcome for one member of one item.</summary>
internal readonly record struct ReceiptRow(long Item, int Member, Guid Resident, int Outcome, long DeliveredAtMs, int Attempts, string? Error,
    bool MayHaveReached, bool Throttled);

/// <summary>A member to try again, with its attempt and throttle counts so far.</summary>
internal readonly record struct RetryMember(Guid Member, int Attempts, int Throttles);

/// <summary>Retry items are grouped by (alert, version, channel, priority, queued at, due second).</summary>
internal readonly record struct RetryKey(string Alert, int Version, string Channel, int Priority, long QueuedAt, long Due);

/// <summary>What recording a batch of outcomes changes, worked out before either engine writes it.</summary>
internal sealed class OutcomePlan
{
    public List<ReceiptRow> Receipts { get; } = [];

    /// <summary>Final outcomes per (alert, version, channel), indexed by <see cref="WorkState"/> (Delivered … Acknowledged).</summary>
    public Dictionary<(string Alert, int Version, string Channel), int[]> Counts { get; } = [];

    /// <summary>Receipts per item (its <c>recorded</c> grows by this).</summary>
    public Dictionary<long, int> PerItem { get; } = [];

    /// <summary>Items given back unsent, with whether any of their members may have been reached.</summary>
    public Dictionary<long, bool> Released { get; } = [];

    public Dictionary<RetryKey, List<RetryMember>> Retries { get; } = [];
}

/// <summary>
/// The outbox's decisions that do not depend on the engine: who a version goes to, how it is cut into items, and what a
/// batch of outcomes records. Both engines' outbox stores call these and only differ in how they read and write rows.
/// </summary>
internal static class OutboxPlanning
{
    /// <summary>Members indexed by resident in the queueing transaction up to this many; larger fan-outs are indexed
    /// right after by <see cref="IOutboxStore.IndexPendingMembersAsync"/> (only the inbox of a not-yet-attempted resident
    /// waits for that).</summary>
    public const int InlineIndexLimit = 100_000;

    /// <summary>
    /// Whether a queueing write indexes its members by resident at once. A later part of a version queued in parts is
    /// never indexed inline, whatever its own size: the version is large, and its index rows would double the write
    /// that stands between the part and its recipients. Escalation steps still to come are always indexed (see
    /// <see cref="MustIndex"/>).
    /// </summary>
    public static bool IndexesInline(OutboxEnqueue q, int members) => !q.Append && members <= InlineIndexLimit;

    /// <summary>An item is indexed at once when its write indexes inline, or when it is an escalation step still to
    /// come: an acknowledgement must find it before it is due.</summary>
    public static bool MustIndex(bool indexInline, long dueMs, long nowMs) => indexInline || dueMs > nowMs;

    /// <summary>
    /// The members of a version per channel, and how many residents that is (broadcast accounts not counted).
    /// <paramref name="reached"/> is asked only for a retraction, <paramref name="earlier"/> only for an update.
    /// </summary>
    public static async Task<(Dictionary<string, List<Guid>> Members, int Recipients)> SelectMembersAsync(OutboxEnqueue q,
        Func<Task<Dictionary<string, HashSet<Guid>>>> reached, Func<Task<List<Guid>>> earlier)
    {
        var members = new Dictionary<string, List<Guid>>(StringComparer.OrdinalIgnoreCase);
        var allowed = q.AllowedChannels.ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (q.Rule == RecipientRule.PreviouslyDelivered)
        {
            // Residents and broadcast accounts alike: a retraction goes exactly where an earlier version was (or is being) sent.
            foreach (var (channel, residents) in await reached())
            {
                if (allowed.Contains(channel))
                {
                    members[channel] = [.. residents];
                }
            }
        }
        else
        {
            foreach (var (channel, residents) in q.Targeted)
            {
                if (allowed.Contains(channel) && residents.Count > 0)
                {
                    members[channel] = [.. residents];
                }
            }

            if (q.Rule == RecipientRule.TargetedAndPrevious)
            {
                var have = members.Values.SelectMany(m => m).ToHashSet();
                foreach (var resident in await earlier())
                {
                    if (have.Add(resident) && q.TargetedLater?.Invoke(resident) != true)
                    {
                        foreach (var channel in q.ChannelsOf(resident))
                        {
                            (members.TryGetValue(channel, out var list) ? list : members[channel] = []).Add(resident);
                        }
                    }
                }
            }
        }

        var recipients = members.Where(m => !q.BroadcastChannels.Contains(m.Key)).SelectMany(m => m.Value).Distinct().Count();
        if (q.Rule != RecipientRule.PreviouslyDelivered)
        {
            foreach (var (channel, target) in q.Broadcast)
            {
                (members.TryGetValue(channel, out var list) ? list : members[channel] = []).Add(target);
            }
        }

        return (members, recipients);
    }

    /// <summary>Items per (channel, escalation step), each at most the channel's chunk size, members in id order.</summary>
    public static IEnumerable<(string Channel, int Step, List<Guid> Members)> Chunks(OutboxEnqueue q, Dictionary<string, List<Guid>> members)
    {
        var steps = new Dictionary<(Guid, string), int>();
        if (q.EscalationChannels is { Count: > 0 } order)
        {
            // Each resident's first policy channel they have is due now, the next one step later, and so on.
            var byResident = new Dictionary<Guid, int>();
            foreach (var channel in order)
            {
                if (!members.TryGetValue(channel, out var list))
                {
                    continue;
                }

                foreach (var resident in list)
                {
                    var step = byResident.GetValueOrDefault(resident);
                    steps[(resident, channel)] = step;
                    byResident[resident] = step + 1;
                }
            }
        }

        foreach (var (channel, list) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            list.Sort();
            var size = Math.Clamp(q.ChunkSize(channel), 1, WorkIds.MaxMembers);
            foreach (var group in list.GroupBy(r => steps.GetValueOrDefault((r, channel))).OrderBy(g => g.Key))
            {
                foreach (var chunk in group.Chunk(size))
                {
                    yield return (channel, group.Key, [.. chunk]);
                }
            }
        }
    }

    /// <summary>
    /// What recording <paramref name="outcomes"/> changes, for the items the claimant still holds (<paramref name="held"/>;
    /// outcomes of other items are ignored). A member that would be retried while a newer version exists is superseded
    /// instead: the newer version reaches that resident, and the old text must never arrive after it.
    /// </summary>
    /// <summary>The outcomes of members that have no receipt yet (<paramref name="recorded"/>: work ids with one).</summary>
    public static IReadOnlyList<WorkOutcome> WithoutRecorded(IReadOnlyList<WorkOutcome> outcomes, IReadOnlySet<long> recorded) =>
        recorded.Count == 0 ? outcomes : [.. outcomes.Where(o => !recorded.Contains(o.Id))];

    public static OutcomePlan PlanOutcomes(IReadOnlyList<WorkOutcome> outcomes, IReadOnlyDictionary<long, HeldItem> held)
    {
        var plan = new OutcomePlan();
        foreach (var o in outcomes)
        {
            var itemId = WorkIds.Item(o.Id);
            if (!held.TryGetValue(itemId, out var item))
            {
                continue;
            }

            if (o.Unsent)
            {
                plan.Released[itemId] = plan.Released.GetValueOrDefault(itemId) || o.MayHaveReached;
                continue;
            }

            var member = WorkIds.Member(o.Id);
            var resident = item.Members[member];
            var state = o.State;
            var error = o.Error;
            if (state == WorkState.Pending && item.CurrentVersion > item.Version)
            {
                state = WorkState.Superseded;
                error = "superseded by a newer version";
            }

            if (state == WorkState.Pending)
            {
                // Retried together with others due about the same time (seconds), never earlier than asked.
                var due = o.NextAttemptAtMs ?? 0;
                var key = new RetryKey(item.Alert, item.Version, item.Channel, item.Priority, item.QueuedAt, (due + 999) / 1000 * 1000);
                (plan.Retries.TryGetValue(key, out var list) ? list : plan.Retries[key] = []).Add(new RetryMember(resident, o.Attempts, o.Throttles));
            }
            else
            {
                var countKey = (item.Alert, item.Version, item.Channel);
                var c = plan.Counts.TryGetValue(countKey, out var found) ? found : plan.Counts[countKey] = new int[7];
                c[state]++;
            }

            plan.Receipts.Add(new ReceiptRow(itemId, member, resident, state, o.DeliveredAtMs ?? 0, o.Attempts, error, o.MayHaveReached, o.Throttled));
            plan.PerItem[itemId] = plan.PerItem.GetValueOrDefault(itemId) + 1;
        }

        return plan;
    }

    /// <summary>Members of a claimed item that have no receipt yet, in priority then item order, as work ids.</summary>
    public static List<(long WorkId, Guid Resident)> Unrecorded(IEnumerable<(long Id, int Priority, IReadOnlyList<Guid> Members)> items, IReadOnlySet<long> recorded)
    {
        var wanted = new List<(long, Guid)>();
        foreach (var item in items.OrderByDescending(i => i.Priority).ThenBy(i => i.Id))
        {
            for (var m = 0; m < item.Members.Count; m++)
            {
                var id = WorkIds.Of(item.Id, m);
                if (!recorded.Contains(id))
                {
                    wanted.Add((id, item.Members[m]));
                }
            }
        }

        return wanted;
    }

    /// <summary>
    /// The work a claim hands out: the members of the claimed items that have no receipt yet (<paramref name="recorded"/>
    /// holds the work ids of those that have), in priority then item order, each with its attempt and throttle counts.
    /// </summary>
    public static List<ClaimedWork> Claims(IReadOnlyList<ClaimedItem> items, IReadOnlySet<long> recorded)
    {
        var byItem = items.ToDictionary(i => i.Id);
        var wanted = Unrecorded(items.Select(i => (i.Id, i.Priority, i.Members)), recorded);
        var list = new List<ClaimedWork>(wanted.Count);
        foreach (var (workId, resident) in wanted)
        {
            var item = byItem[WorkIds.Item(workId)];
            var m = WorkIds.Member(workId);
            list.Add(new ClaimedWork(workId, item.Alert, item.Version, resident, item.Attempts?[m] ?? 0, item.QueuedAt, item.Throttles?[m] ?? 0));
        }

        return list;
    }

    /// <summary>
    /// <see cref="Claims"/> for items just claimed. An item released after its claimant died may have some members recorded
    /// already: those are not sent again; <paramref name="recordedOf"/> reads, for such items only, the work ids that have a receipt.
    /// </summary>
    public static async Task<IReadOnlyList<ClaimedWork>> ClaimsAsync(IReadOnlyList<ClaimedItem> items, Func<long[], Task<HashSet<long>>> recordedOf)
    {
        if (items.Count == 0)
        {
            return [];
        }

        var partly = items.Where(i => i.Recorded > 0).Select(i => i.Id).ToArray();
        return Claims(items, partly.Length > 0 ? await recordedOf(partly) : []);
    }

    /// <summary>Of <paramref name="ids"/>, the work whose item belongs to an alert with a newer version.</summary>
    public static HashSet<long> Stale(IEnumerable<long> ids, IReadOnlyDictionary<long, CheckedItem> items) =>
        ids.Where(id => items.TryGetValue(WorkIds.Item(id), out var item) && item.Stale).ToHashSet();

    /// <summary>The follow-ups (members of a retraction) still to check, grouped by item: not stale, item found.</summary>
    public static IEnumerable<(CheckedItem Item, IReadOnlyList<long> Work)> FollowUps(IEnumerable<long> followUps, IReadOnlySet<long> stale,
        IReadOnlyDictionary<long, CheckedItem> items) =>
        followUps.Where(id => !stale.Contains(id) && items.ContainsKey(WorkIds.Item(id))).GroupBy(WorkIds.Item)
            .Select(g => (items[g.Key], (IReadOnlyList<long>)[.. g]));

    /// <summary>The members of an item, as work ids.</summary>
    public static IEnumerable<Guid> Residents(CheckedItem item, IEnumerable<long> work) => work.Select(id => item.Members[WorkIds.Member(id)]);

    /// <summary>Adds to <paramref name="neverReached"/> the work whose resident is not in <paramref name="reached"/>.</summary>
    public static void AddNeverReached(CheckedItem item, IEnumerable<long> work, IReadOnlySet<Guid> reached, ISet<long> neverReached)
    {
        foreach (var id in work.Where(id => !reached.Contains(item.Members[WorkIds.Member(id)])))
        {
            neverReached.Add(id);
        }
    }

    /// <summary>The board's figures from a version's running counts (targeted, delivered, failed, gone, expired, superseded,
    /// acknowledged) and the members being sent right now.</summary>
    public static VersionDelivery Delivery(long targeted, long delivered, long failed, long gone, long expired, long superseded, long acknowledged, long sending)
    {
        var allFailed = failed + gone + expired;
        var notNeeded = superseded + acknowledged;
        var pending = targeted - delivered - allFailed - notNeeded;
        return new VersionDelivery(targeted, delivered, pending, Math.Min(pending, sending), allFailed, gone, expired, notNeeded, acknowledged);
    }

    /// <summary>The 0-based rank of the nearest-rank percentile <paramref name="p"/> among <paramref name="count"/> values.</summary>
    public static long PercentileRank(long count, double p) => Math.Clamp((long)Math.Ceiling(p * count) - 1, 0, count - 1);
}
