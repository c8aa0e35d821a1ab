using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace AlertHub.Core.Storage;

/// <summary>A claimed item as the claiming statement returns it (see <see cref="OutboxRows.Claimed"/>).</summary>
/// <param name="Attempts">Per member, the attempts so far (a retry item); null on a first try.</param>
/// <param name="Throttles">Per member, the throttles so far (a retry item); null on a first try.</param>
internal sealed record ClaimedItem(long Id, string Alert, int Version, long QueuedAt, IReadOnlyList<Guid> Members, int[]? Attempts, int[]? Throttles,
    int Recorded, int Priority);

/// <summary>An item whose members are about to be sent, as <see cref="OutboxPlanning.Stale"/> and the follow-up check need it.</summary>
/// <param name="Stale">A newer version of its alert exists.</param>
internal sealed record CheckedItem(string Alert, int Version, string Channel, IReadOnlyList<Guid> Members, bool Stale);

/// <summary>
/// The outbox's rows read the same way on every engine (see <see cref="DbRows"/>). SQLite keeps an item's members and
/// per-member counts as JSON text, PostgreSQL as uuid[] and integer[]; the readers take either.
/// </summary>
internal static class OutboxRows
{
    /// <summary>Reads (claimant, count) rows into a map.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> ReadClaimCountsAsync(DbCommand cmd, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }

        return counts;
    }

    /// <summary>An item's members: a JSON array of ids or a uuid[].</summary>
    public static IReadOnlyList<Guid> Members(DbDataReader r, int ordinal) =>
        r.GetFieldType(ordinal) == typeof(string) ? ParseMembers(r.GetString(ordinal)) : r.GetFieldValue<Guid[]>(ordinal);

    /// <summary>Per-member counts: null, a JSON array or an integer[].</summary>
    public static int[]? CountsOrNull(DbDataReader r, int ordinal) =>
        r.IsDBNull(ordinal) ? null
        : r.GetFieldType(ordinal) == typeof(string) ? JsonSerializer.Deserialize<int[]>(r.GetString(ordinal))
        : r.GetFieldValue<int[]>(ordinal);

    /// <summary>Members from their JSON array (strings that are not ids are an error; anything else is passed over).</summary>
    public static List<Guid> ParseMembers(string json)
    {
        var list = new List<Guid>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                list.Add(reader.GetGuid());
            }
        }

        return list;
    }

    /// <summary>An item claimed, selected as <c>id, alert_id, version, queued_at, members, attempts, throttles, recorded, priority</c>.</summary>
    public static ClaimedItem Claimed(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3), Members(r, 4), CountsOrNull(r, 5), CountsOrNull(r, 6), r.GetInt32(7), r.GetInt32(8));

    /// <summary>An item held, selected as <c>id, alert_id, version, channel, priority, queued_at, members, current version</c>.</summary>
    public static (long Id, HeldItem Item) Held(DbDataReader r) =>
        (r.GetInt64(0), new HeldItem(r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), r.GetInt64(5), Members(r, 6), r.GetInt32(7)));

    /// <summary>An item to check, selected as <c>id, alert_id, version, channel, members, stale</c>.</summary>
    public static (long Id, CheckedItem Item) Checked(DbDataReader r) =>
        (r.GetInt64(0), new CheckedItem(r.GetString(1), r.GetInt32(2), r.GetString(3), Members(r, 4), r.Flag(5)));

    /// <summary>A version's running counts, selected as <c>version, channel, targeted, delivered, failed, gone, expired, superseded,
    /// acknowledged, sending</c>.</summary>
    public static (int Version, string Channel, VersionDelivery Delivery) VersionCounts(DbDataReader r) =>
        (r.GetInt32(0), r.GetString(1),
         OutboxPlanning.Delivery(r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9)));

    /// <summary>The (channel, member) pairs of items selected as <c>channel, members</c>.</summary>
    public static async Task<HashSet<(string Channel, Guid Member)>> QueuedMembersAsync(DbCommand cmd, CancellationToken cancellationToken) =>
        [.. (await cmd.ListAsync(r => (Channel: r.GetString(0), Members: Members(r, 1)), cancellationToken))
            .SelectMany(item => item.Members.Select(member => (item.Channel, member)))];

    /// <summary>Work ids from rows selected as <c>item_id, member</c>.</summary>
    public static async Task<HashSet<long>> WorkIdsAsync(DbCommand cmd, CancellationToken cancellationToken) =>
        [.. await cmd.ListAsync(r => WorkIds.Of(r.GetInt64(0), r.GetInt32(1)), cancellationToken)];

    /// <summary>Counts per (version, channel), selected as <c>version, channel, count</c>.</summary>
    public static async Task<Dictionary<(int Version, string Channel), long>> CountsPerVersionAsync(DbCommand cmd, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<(int, string), long>();
        foreach (var (version, channel, count) in await cmd.ListAsync(r => (r.GetInt32(0), r.GetString(1), r.GetInt64(2)), cancellationToken))
        {
            counts[(version, channel)] = count;
        }

        return counts;
    }

    /// <summary>Latencies with the first and last delivery, selected as <c>latency, delivered at</c> in ascending latency.</summary>
    public static async Task<(List<long> Latencies, long? First, long? Last)> LatenciesAsync(DbCommand cmd, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<long>();
        long? first = null, last = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(reader.GetInt64(0));
            var at = reader.GetInt64(1);
            first = first is null ? at : Math.Min(first.Value, at);
            last = last is null ? at : Math.Max(last.Value, at);
        }

        return (list, first, last);
    }

    /// <summary>
    /// Per channel, the window's counts, selected as <c>channel, targeted, delivered, failed, gone, pending, retried, throttled,
    /// attempted</c>, with the median and 95th percentile latency that <paramref name="latencyAt"/> (channel, delivered, p) finds
    /// for a channel that delivered any.
    /// </summary>
    public static async Task<Dictionary<string, ChannelWindowStats>> WindowStatsAsync(DbCommand cmd, Func<string, long, double, Task<double?>> latencyAt,
        CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, ChannelWindowStats>();
        foreach (var (channel, stats) in await cmd.ListAsync(r => (r.GetString(0), new ChannelWindowStats(r.GetInt64(1), r.GetInt64(8), r.GetInt64(2),
                     r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), null, null)), cancellationToken))
        {
            result[channel] = stats.Delivered > 0
                ? stats with { P50Ms = await latencyAt(channel, stats.Delivered, 0.50), P95Ms = await latencyAt(channel, stats.Delivered, 0.95) }
                : stats;
        }

        return result;
    }
}
