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
    public const int Superseded = 5;
    public const int Acknowledged = 6;
}

internal sealed record ClaimedWork(
    long Id, string AlertId, int Version, Guid ResidentId, int Attempts, long QueuedAtMs,
    long? EndpointId, string? Address, string? Secret, string? EndpointState, string? Language, int Throttles);

internal sealed record WorkOutcome(long Id, int State, long? DeliveredAtMs, long? NextAttemptAtMs, int Attempts, string? Error, bool Throttled = false);

/// <summary>One channel's figures over a window (GET /api/channels).</summary>
internal sealed record ChannelWindowStats(
    long Queued, long Sent, long Delivered, long Failed, long Pruned, long Pending, long Retried, long Throttled, double? P50Ms, double? P95Ms);

/// <summary>The durable outbox: claim due work for a channel, record outcomes.</summary>
internal sealed class OutboxStore(Database database)
{
    /// <summary>
    /// Due work for a channel in priority order, skipping rows the caller still has in flight. Ids come from
    /// the covering index alone; only the chosen batch is joined with endpoints and residents.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, Func<long, bool> inFlight, int inFlightCount,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var ids = new List<long>(limit);
        await using (var scan = connection.CreateCommand())
        {
            scan.CommandText = """
                SELECT id FROM delivery_work INDEXED BY ix_work_due
                WHERE channel = $channel AND state = 0 AND next_attempt_at <= $now
                ORDER BY priority DESC, id LIMIT $limit
                """;
            scan.Parameters.AddWithValue("$channel", channel);
            scan.Parameters.AddWithValue("$now", nowMs);
            scan.Parameters.AddWithValue("$limit", limit + inFlightCount);
            // The scan reads one snapshot. A row the recorder commits and releases from the in-flight set while
            // the scan runs still looks pending and not in flight here, so the second statement (a fresh
            // snapshot, after the in-flight checks) re-checks the state: otherwise that row is sent twice.
            await using var reader = await scan.ExecuteReaderAsync(cancellationToken);
            while (ids.Count < limit && await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetInt64(0);
                if (!inFlight(id))
                {
                    ids.Add(id);
                }
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT w.id, w.alert_id, w.version, w.resident_id, w.attempts, w.queued_at, w.endpoint_id, e.address, e.secret, e.state, r.language, w.throttled
            FROM json_each($ids) j
            JOIN delivery_work w ON w.id = j.value
            LEFT JOIN resident_endpoints e ON e.id = w.endpoint_id
            LEFT JOIN residents r ON r.id = w.resident_id
            WHERE w.state = 0 AND w.next_attempt_at <= $now
            ORDER BY j.key
            """;
        cmd.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(ids));
        cmd.Parameters.AddWithValue("$now", nowMs);
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

    public async Task RecordAsync(IReadOnlyList<WorkOutcome> outcomes, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            UPDATE delivery_work SET state = $state, delivered_at = COALESCE($delivered, delivered_at),
                next_attempt_at = COALESCE($next, next_attempt_at), attempts = $attempts, last_error = $error, throttled = throttled + $throttled
            WHERE id = $id AND state = 0
            """;
        var id = cmd.Parameters.Add("$id", SqliteType.Integer);
        var state = cmd.Parameters.Add("$state", SqliteType.Integer);
        var delivered = cmd.Parameters.Add("$delivered", SqliteType.Integer);
        var next = cmd.Parameters.Add("$next", SqliteType.Integer);
        var attempts = cmd.Parameters.Add("$attempts", SqliteType.Integer);
        var error = cmd.Parameters.Add("$error", SqliteType.Text);
        var throttled = cmd.Parameters.Add("$throttled", SqliteType.Integer);
        foreach (var o in outcomes)
        {
            id.Value = o.Id;
            state.Value = o.State;
            delivered.Value = (object?)o.DeliveredAtMs ?? DBNull.Value;
            next.Value = (object?)o.NextAttemptAtMs ?? DBNull.Value;
            attempts.Value = o.Attempts;
            error.Value = (object?)o.Error ?? DBNull.Value;
            throttled.Value = o.Throttled ? 1 : 0;
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
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
                SELECT channel, COUNT(*), SUM(attempts > 0), SUM(state = 1), SUM(state = 2), SUM(state = 3), SUM(state = 0),
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
