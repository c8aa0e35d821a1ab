using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Alerts;

/// <summary>
/// The outbox as Alerts use it: queue a version's recipients inside the issuing transaction, see who is queued, and read
/// the per-version counts and latencies. Delivery's <c>OutboxStore</c> implements it (and keeps its SQL); Alerts never
/// name Delivery.
/// </summary>
internal interface IAlertOutbox : IEscalationStop
{
    /// <summary>Queues one version inside the caller's transaction; returns the recipients and the items per channel.</summary>
    Task<(int Recipients, Dictionary<string, int> ByChannel)> EnqueueAsync(SqliteConnection connection, SqliteTransaction tx, OutboxEnqueue q,
        CancellationToken cancellationToken);

    Task<HashSet<(string Channel, Guid Member)>> QueuedMembersAsync(string alertId, int version, CancellationToken cancellationToken);

    Task<IReadOnlyList<(int Version, string Channel, VersionDelivery Delivery)>> VersionCountsAsync(string alertId, CancellationToken cancellationToken);

    Task<(List<long> Latencies, long? First, long? Last)> LatenciesAsync(string alertId, string channel, CancellationToken cancellationToken);

    /// <summary>The alerts that had work for the resident since <paramref name="sinceMs"/>, newest first.</summary>
    Task<IReadOnlyList<string>> AlertsForResidentAsync(Guid residentId, long sinceMs, int limit, CancellationToken cancellationToken);
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

