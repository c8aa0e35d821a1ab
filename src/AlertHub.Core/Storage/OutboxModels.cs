namespace AlertHub.Core.Storage;

/// <summary>How an alert version chooses its recipients in the outbox.</summary>
internal enum RecipientRule
{
    /// <summary>The targeted residents.</summary>
    Targeted,
    /// <summary>The targeted residents plus everyone any earlier version went to (an update).</summary>
    TargetedAndPrevious,
    /// <summary>
    /// Only (resident, channel) pairs an earlier version reached, is being sent to right now, or may have reached (a
    /// cancel, an all-clear). Rows still in flight are followed: the worker holds this version's row back until the
    /// earlier one is recorded, and drops it if that one never reached the address.
    /// </summary>
    PreviouslyDelivered,
}

/// <summary>Where one (resident, channel) of a version stands; the values of <c>outbox_receipts.outcome</c>.</summary>
internal static class WorkState
{
    /// <summary>A failed attempt; the member moved into a retry item.</summary>
    public const int Pending = 0;
    public const int Delivered = 1;
    public const int Failed = 2;
    public const int Gone = 3;
    public const int Expired = 4;
    /// <summary>Not sent: a newer version replaced it, or (a retraction) the earlier version never reached this address.</summary>
    public const int Superseded = 5;
    /// <summary>Not sent: the resident acknowledged the alert on another channel first.</summary>
    public const int Acknowledged = 6;
    /// <summary>An item claimed by a worker (<c>claimed_by</c>) until <c>lease_until</c>: being sent right now.</summary>
    public const int Sending = 7;

    /// <summary>The error a presence channel records for a resident whose page is closed: the item waits, it has not failed.</summary>
    public const string NotConnected = "resident not connected";
}

/// <summary>
/// A work id names one member of one outbox item: <c>item × 1024 + member</c>. Items never hold more than
/// <see cref="MaxMembers"/> members.
/// </summary>
internal static class WorkIds
{
    public const int MaxMembers = 1000;

    public static long Of(long item, int member) => (item << 10) | (uint)member;

    public static long Item(long workId) => workId >> 10;

    public static int Member(long workId) => (int)(workId & 1023);
}

/// <summary>One claimed member of an item; the endpoint and language are filled in from <see cref="IDeliveryAddresses"/> before sending.</summary>
internal sealed record ClaimedWork(long Id, string AlertId, int Version, Guid ResidentId, int Attempts, long QueuedAtMs, int Throttles)
{
    public long? EndpointId { get; init; }

    public string? Address { get; init; }

    public string? Secret { get; init; }

    public string? EndpointState { get; init; }

    public string? Language { get; init; }
}

/// <param name="MayHaveReached">A failed attempt that may still have reached the address (a timeout): a retraction follows it.</param>
/// <param name="Unsent">Given back without an attempt (shutdown, an open circuit): no receipt, the item goes back to pending.</param>
/// <param name="Throttles">The member's throttled attempts so far, this one included (they do not use up the failure budget).</param>
internal sealed record WorkOutcome(long Id, int State, long? DeliveredAtMs, long? NextAttemptAtMs, int Attempts, string? Error, bool Throttled = false,
    bool MayHaveReached = false, bool Unsent = false, int Throttles = 0);

/// <summary>One channel's figures over a window (GET /api/channels).</summary>
internal sealed record ChannelWindowStats(
    long Queued, long Sent, long Delivered, long Failed, long Pruned, long Pending, long Retried, long Throttled, double? P50Ms, double? P95Ms);

/// <summary>
/// One version's (resident, channel) rows by where they stand. They always add up:
/// <c>Targeted = Delivered + Pending + Failed + Superseded</c>.
/// </summary>
/// <param name="Targeted">Rows written for this version.</param>
/// <param name="Delivered">Accepted by the provider or device.</param>
/// <param name="Pending">Still to send or retry, <paramref name="Sending"/> of them being sent right now.</param>
/// <param name="Failed">Given up: refused, address gone (<paramref name="Gone"/>) or expired before delivery (<paramref name="Expired"/>).</param>
/// <param name="Superseded">Not sent and not needed: a newer version reached them instead, the earlier version never reached
/// them (a retraction), or they acknowledged on another channel first (<paramref name="Acknowledged"/>).</param>
internal sealed record VersionDelivery(long Targeted, long Delivered, long Pending, long Sending, long Failed, long Gone, long Expired, long Superseded,
    long Acknowledged)
{
    /// <summary>Of <see cref="Pending"/>: residents of a presence channel (SignalR) whose page was closed when they were tried. They
    /// have not failed: they get the alert when they open the page again.</summary>
    public long Offline { get; init; }
}

/// <summary>What to queue for one alert version.</summary>
/// <param name="Targeted">Per allowed channel, the residents reachable on it (from the targeting index).</param>
/// <param name="EscalationChannels">With an escalation policy: each resident's channels in this order, one step apart.</param>
/// <param name="Broadcast">Accounts of broadcast channels (one member each) and their channel.</param>
/// <param name="ChannelsOf">For an update: the allowed channels of a resident an earlier version went to.</param>
/// <param name="ChunkSize">Members per item on a channel (the channel's batch size).</param>
internal sealed record OutboxEnqueue(
    string AlertId, int Version, int Priority, RecipientRule Rule, long NowMs,
    IReadOnlyDictionary<string, IReadOnlyList<Guid>> Targeted,
    IReadOnlyCollection<string> AllowedChannels,
    IReadOnlyList<string>? EscalationChannels, long EscalationStepMs,
    IReadOnlyList<(string Channel, Guid TargetId)> Broadcast,
    Func<Guid, IReadOnlyList<string>> ChannelsOf,
    Func<string, int> ChunkSize)
{
    /// <summary>Channels whose members are accounts, not residents (not counted as recipients).</summary>
    public IReadOnlySet<string> BroadcastChannels { get; init; } = new HashSet<string>();

    /// <summary>A later part of a version already queued in part: nothing is superseded and the counts grow.</summary>
    public bool Append { get; init; }

    /// <summary>For an update queued in parts: residents targeted in the later parts (not queued again as earlier recipients now).</summary>
    public Func<Guid, bool>? TargetedLater { get; init; }
}

