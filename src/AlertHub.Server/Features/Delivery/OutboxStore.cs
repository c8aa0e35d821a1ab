using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Delivery;

/// <summary>Delivery work states as stored in <c>delivery_work.state</c>.</summary>
internal static class WorkState
{
    public const int Pending = 0;
    public const int Delivered = 1;
    public const int Failed = 2;
    public const int Gone = 3;
    public const int Expired = 4;
    /// <summary>Not sent: a newer version replaced it, or (a retraction) the earlier version never reached this address.</summary>
    public const int Superseded = 5;
    /// <summary>Not sent: the resident acknowledged the alert on another channel first.</summary>
    public const int Acknowledged = 6;
    /// <summary>Claimed by a worker (<c>claimed_by</c>) until <c>lease_until</c>: being sent right now.</summary>
    public const int Sending = 7;
}

internal sealed record ClaimedWork(
    long Id, string AlertId, int Version, Guid ResidentId, int Attempts, long QueuedAtMs,
    long? EndpointId, string? Address, string? Secret, string? EndpointState, string? Language, int Throttles);

/// <param name="MayHaveReached">A failed attempt that may still have reached the address (a timeout): a retraction follows it.</param>
internal sealed record WorkOutcome(long Id, int State, long? DeliveredAtMs, long? NextAttemptAtMs, int Attempts, string? Error, bool Throttled = false,
    bool MayHaveReached = false);

/// <summary>One channel's figures over a window (GET /api/channels).</summary>
internal sealed record ChannelWindowStats(
    long Queued, long Sent, long Delivered, long Failed, long Pruned, long Pending, long Retried, long Throttled, double? P50Ms, double? P95Ms);

/// <summary>
/// The durable outbox. The database, not a worker's memory, says what is in flight: a claim moves rows to
/// <see cref="WorkState.Sending"/> under the claimant's name and a lease, and only that claimant records their outcome.
/// Rows of an older version still being sent hold back the newer version's row for the same (resident, channel), so a
/// retraction always arrives after what it retracts.
/// </summary>
internal sealed class OutboxStore(Database database) : IEscalationStop
{
    /// <summary>
    /// Claims due work for a channel in priority order: marks it Sending for <paramref name="claimant"/> until
    /// <paramref name="leaseUntilMs"/> and returns it with the endpoint and language to send to. A row waits while an
    /// older version's row for the same alert, resident and channel is still being sent.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, string claimant, long leaseUntilMs,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var ids = new List<long>(limit);
        await using (var claim = connection.CreateCommand())
        {
            // One statement: SQLite runs it under one write lock, so two claimers can never take the same row, and a
            // new version's transaction sees either Pending rows (which it supersedes) or Sending ones (which it follows).
            claim.CommandText = """
                UPDATE delivery_work SET state = 7, claimed_by = $claimant, lease_until = $lease
                WHERE id IN (
                    SELECT w.id FROM delivery_work w INDEXED BY ix_work_due
                    WHERE w.channel = $channel AND w.state = 0 AND w.next_attempt_at <= $now
                      AND (w.version = 1 OR NOT EXISTS (
                          SELECT 1 FROM delivery_work p INDEXED BY ix_work_resident
                          WHERE p.resident_id = w.resident_id AND p.alert_id = w.alert_id AND p.channel = w.channel
                            AND p.version < w.version AND p.state = 7))
                    ORDER BY w.priority DESC, w.id LIMIT $limit)
                RETURNING id
                """;
            claim.Parameters.AddWithValue("$channel", channel);
            claim.Parameters.AddWithValue("$now", nowMs);
            claim.Parameters.AddWithValue("$limit", limit);
            claim.Parameters.AddWithValue("$claimant", claimant);
            claim.Parameters.AddWithValue("$lease", leaseUntilMs);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        ids.Sort();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT w.id, w.alert_id, w.version, w.resident_id, w.attempts, w.queued_at, w.endpoint_id, e.address, e.secret, e.state, r.language, w.throttled
            FROM json_each($ids) j
            JOIN delivery_work w ON w.id = j.value
            LEFT JOIN resident_endpoints e ON e.id = w.endpoint_id
            LEFT JOIN residents r ON r.id = w.resident_id
            WHERE w.state = 7 AND w.claimed_by = $claimant
            ORDER BY w.priority DESC, w.id
            """;
        cmd.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(ids));
        cmd.Parameters.AddWithValue("$claimant", claimant);
        await using var rows = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<ClaimedWork>(ids.Count);
        while (await rows.ReadAsync(cancellationToken))
        {
            list.Add(new ClaimedWork(rows.GetInt64(0), rows.GetString(1), rows.GetInt32(2), Guid.Parse(rows.GetString(3)), rows.GetInt32(4),
                rows.GetInt64(5), rows.IsDBNull(6) ? null : rows.GetInt64(6), rows.IsDBNull(7) ? null : rows.GetString(7),
                rows.IsDBNull(8) ? null : rows.GetString(8), rows.IsDBNull(9) ? null : rows.GetString(9),
                rows.IsDBNull(10) ? null : rows.GetString(10), rows.GetInt32(11)));
        }

        return list;
    }

    /// <summary>
    /// Of the given claimed rows, those that must not be sent any more: a newer version of their alert exists (it
    /// reaches the same people), or — for <paramref name="followUps"/>, the rows of a retraction (cancel, all-clear)
    /// — no earlier version ever reached or may have reached that (resident, channel).
    /// </summary>
    public async Task<(IReadOnlySet<long> Stale, IReadOnlySet<long> NeverReached)> CheckBeforeSendAsync(IReadOnlyCollection<long> ids,
        IReadOnlyCollection<long> followUps, CancellationToken cancellationToken)
    {
        var stale = new HashSet<long>();
        var neverReached = new HashSet<long>();
        if (ids.Count == 0)
        {
            return (stale, neverReached);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT w.id FROM json_each($ids) j JOIN delivery_work w ON w.id = j.value JOIN alerts a ON a.id = w.alert_id
                WHERE a.current_version > w.version
                """;
            cmd.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(ids));
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stale.Add(reader.GetInt64(0));
            }
        }

        var toCheck = followUps.Where(id => !stale.Contains(id)).ToList();
        if (toCheck.Count == 0)
        {
            return (stale, neverReached);
        }

        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT w.id FROM json_each($ids) j JOIN delivery_work w ON w.id = j.value
                WHERE NOT EXISTS (
                    SELECT 1 FROM delivery_work p INDEXED BY ix_work_resident
                    WHERE p.resident_id = w.resident_id AND p.alert_id = w.alert_id AND p.channel = w.channel AND p.version < w.version
                      AND (p.state IN (1, 7) OR p.maybe_reached = 1))
                """;
            cmd.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(toCheck));
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                neverReached.Add(reader.GetInt64(0));
            }
        }

        return (stale, neverReached);
    }

    /// <summary>
    /// Records outcomes of rows <paramref name="claimant"/> holds, in one transaction. A row that would go back to
    /// Pending (retry later) while a newer version of its alert exists is superseded instead: the newer version reaches
    /// that resident, and the old text must never arrive after it. Returns how many rows were recorded (a row whose
    /// lease was lost to another claimant is not).
    /// </summary>
    public async Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return 0;
        }

        // One statement for the whole set (a row per outcome from a JSON array): thousands of outcomes cost one
        // short write, so the recorder keeps up with the senders and a crash finds little completed but unrecorded.
        var json = new System.Text.StringBuilder(outcomes.Count * 48).Append('[');
        foreach (var o in outcomes)
        {
            json.Append(json.Length > 1 ? ",[" : "[").Append(o.Id).Append(',').Append(o.State).Append(',')
                .Append(o.DeliveredAtMs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null").Append(',')
                .Append(o.NextAttemptAtMs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null").Append(',')
                .Append(o.Attempts).Append(',').Append(System.Text.Json.JsonSerializer.Serialize(o.Error)).Append(',')
                .Append(o.Throttled ? 1 : 0).Append(',').Append(o.MayHaveReached ? 1 : 0).Append(']');
        }

        json.Append(']');
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            UPDATE delivery_work SET
                state = CASE WHEN o.state = 0 AND EXISTS (SELECT 1 FROM alerts a WHERE a.id = delivery_work.alert_id AND a.current_version > delivery_work.version)
                             THEN 5 ELSE o.state END,
                last_error = CASE WHEN o.state = 0 AND EXISTS (SELECT 1 FROM alerts a WHERE a.id = delivery_work.alert_id AND a.current_version > delivery_work.version)
                                  THEN 'superseded by a newer version' ELSE o.error END,
                delivered_at = COALESCE(o.delivered, delivery_work.delivered_at),
                next_attempt_at = COALESCE(o.next, delivery_work.next_attempt_at), attempts = o.attempts,
                throttled = delivery_work.throttled + o.throttled_now, maybe_reached = delivery_work.maybe_reached | o.reached, lease_until = NULL
            FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS state, json_extract(value, '$[2]') AS delivered,
                         json_extract(value, '$[3]') AS next, json_extract(value, '$[4]') AS attempts, json_extract(value, '$[5]') AS error,
                         json_extract(value, '$[6]') AS throttled_now, json_extract(value, '$[7]') AS reached
                  FROM json_each($outcomes)) AS o
            WHERE delivery_work.id = o.id AND delivery_work.state = 7 AND delivery_work.claimed_by = $claimant
            """;
        cmd.Parameters.AddWithValue("$outcomes", json.ToString());
        cmd.Parameters.AddWithValue("$claimant", claimant);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Gives claimed rows back unsent (shutdown, an open circuit): Pending again, attempts unchanged, due at
    /// <paramref name="dueAtMs"/> — or superseded if a newer version exists meanwhile.
    /// </summary>
    public Task<int> ReleaseClaimsAsync(IEnumerable<ClaimedWork> claimed, string claimant, long dueAtMs, CancellationToken cancellationToken) =>
        RecordAsync([.. claimed.Select(w => new WorkOutcome(w.Id, WorkState.Pending, null, dueAtMs, w.Attempts, null))], claimant, cancellationToken);

    /// <summary>
    /// Claims whose lease ran out (their claimant died or hung) become Pending again, due now, for any worker to
    /// claim; with <paramref name="exceptClaimant"/>, every claim not held by that claimant (a single-node store
    /// at start-up: claims of an earlier process are dead). Their messages may have gone out: receivers dedupe on
    /// the delivery id. Returns how many rows were released.
    /// </summary>
    public async Task<int> ReleaseExpiredClaimsAsync(long nowMs, string? exceptClaimant, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = exceptClaimant is null
            ? "UPDATE delivery_work SET state = 0, lease_until = NULL, next_attempt_at = MIN(next_attempt_at, $now), maybe_reached = 1 WHERE state = 7 AND lease_until < $now"
            : "UPDATE delivery_work SET state = 0, lease_until = NULL, next_attempt_at = MIN(next_attempt_at, $now), maybe_reached = 1 WHERE state = 7 AND claimed_by IS NOT $me";
        cmd.Parameters.AddWithValue("$now", nowMs);
        cmd.Parameters.AddWithValue("$me", (object?)exceptClaimant ?? DBNull.Value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Makes a resident's pending work on a channel due now (a SignalR client just subscribed).</summary>
    public async Task<int> ReleaseAsync(Guid residentId, string channel, long nowMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE delivery_work SET next_attempt_at = $now WHERE resident_id = $r AND channel = $c AND state = 0 AND next_attempt_at > $now";
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        cmd.Parameters.AddWithValue("$c", channel);
        cmd.Parameters.AddWithValue("$now", nowMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Per channel, for work queued since <paramref name="sinceMs"/>: counts by outcome, retries, throttles, latency.</summary>
    public async Task<IReadOnlyDictionary<string, ChannelWindowStats>> StatsSinceAsync(long sinceMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var result = new Dictionary<string, ChannelWindowStats>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT channel, COUNT(*), SUM(attempts > 0), SUM(state = 1), SUM(state = 2), SUM(state = 3), SUM(state IN (0, 7)),
                       SUM(MAX(attempts - 1, 0)), SUM(throttled)
                FROM delivery_work WHERE queued_at >= $since GROUP BY channel
                """;
            cmd.Parameters.AddWithValue("$since", sinceMs);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                result[reader.GetString(0)] = new ChannelWindowStats(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                    reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), null, null);
            }
        }

        foreach (var (channel, stats) in result.ToList())
        {
            if (stats.Delivered > 0)
            {
                result[channel] = stats with
                {
                    P50Ms = await LatencyAtAsync(connection, channel, sinceMs, stats.Delivered, 0.50, cancellationToken),
                    P95Ms = await LatencyAtAsync(connection, channel, sinceMs, stats.Delivered, 0.95, cancellationToken),
                };
            }
        }

        return result;
    }

    /// <summary>Nearest-rank percentile of issue → delivery, computed in SQLite without loading every row.</summary>
    private static async Task<double?> LatencyAtAsync(SqliteConnection connection, string channel, long sinceMs, long delivered, double p, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT delivered_at - queued_at AS d FROM delivery_work
            WHERE channel = $c AND queued_at >= $since AND state = 1 ORDER BY d LIMIT 1 OFFSET $k
            """;
        cmd.Parameters.AddWithValue("$c", channel);
        cmd.Parameters.AddWithValue("$since", sinceMs);
        cmd.Parameters.AddWithValue("$k", Math.Clamp((long)Math.Ceiling(p * delivered) - 1, 0, delivered - 1));
        return await cmd.ExecuteScalarAsync(cancellationToken) is long ms ? ms : null;
    }

    /// <summary>Stops a resident's pending work for an alert (they acknowledged it). Returns how many rows stopped.</summary>
    public async Task<int> StopForAcknowledgementAsync(string alertId, Guid residentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE delivery_work SET state = 6, last_error = 'acknowledged' WHERE alert_id = $a AND resident_id = $r AND state = 0";
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
