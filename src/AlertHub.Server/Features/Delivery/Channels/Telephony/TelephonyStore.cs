using AlertHub.Server.Features.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>One call or SMS attempt to one resident for one alert version (<c>telephony_attempts</c>).</summary>
/// <param name="State">scheduled (a retry waiting for <paramref name="DueAt"/>), placing, placed (Twilio accepted it), skipped, refused.</param>
/// <param name="Status">Twilio's status: queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled;
/// for SMS sent, delivered, undelivered, failed.</param>
internal sealed record TelephonyAttempt(
    long Id, string DeliveryKey, int Attempt, string AlertId, int Version, Guid ResidentId, string Channel, string Address, string Language,
    string Spoken, string State, long? DueAt, string? Sid, string? Status, string? AnsweredBy, string? Digits, bool Acknowledged,
    string? ErrorCode, string? Detail, int Sequence, long CreatedAt, long UpdatedAt)
{
    /// <summary>The <c>d</c> parameter of every callback URL for this attempt: delivery key and attempt number.</summary>
    public string CallbackRef => $"{DeliveryKey}:{Attempt}";
}

/// <summary>Call and SMS attempts and their outcomes, per (resident, channel) and alert version.</summary>
internal sealed class TelephonyStore(Database database, TimeProvider time)
{
    private const string Columns = """
        id, delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, due_at, sid, status,
        answered_by, digits, acknowledged, error_code, detail, sequence, created_at, updated_at
        """;

    /// <summary>The attempt a delivery key starts with, created if new; an existing one is returned as it is (a re-sent
    /// outbox row finds the call it already placed and does not place it again).</summary>
    public async Task<(TelephonyAttempt Attempt, bool Created)> BeginAsync(string deliveryKey, string alertId, int version, Guid residentId, string channel,
        string address, string language, string spoken, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT OR IGNORE INTO telephony_attempts(delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, created_at, updated_at)
                VALUES ($key, 1, $alert, $version, $resident, $channel, $address, $language, $spoken, 'placing', $now, $now)
                """;
            insert.Parameters.AddWithValue("$key", deliveryKey);
            insert.Parameters.AddWithValue("$alert", alertId);
            insert.Parameters.AddWithValue("$version", version);
            insert.Parameters.AddWithValue("$resident", residentId.ToString());
            insert.Parameters.AddWithValue("$channel", channel);
            insert.Parameters.AddWithValue("$address", address);
            insert.Parameters.AddWithValue("$language", language);
            insert.Parameters.AddWithValue("$spoken", spoken);
            insert.Parameters.AddWithValue("$now", now);
            var created = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
            var attempt = await FindAsync(connection, deliveryKey, 1, cancellationToken) ?? throw new InvalidOperationException("attempt vanished");
            return (attempt, created);
        }
    }

    public async Task<TelephonyAttempt?> FindAsync(string callbackRef, CancellationToken cancellationToken)
    {
        var cut = callbackRef.LastIndexOf(':');
        if (cut <= 0 || !int.TryParse(callbackRef.AsSpan(cut + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var attempt))
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, callbackRef[..cut], attempt, cancellationToken);
    }

    public async Task MarkPlacedAsync(long id, string sid, string status, CancellationToken cancellationToken) =>
        await ExecAsync("UPDATE telephony_attempts SET state = 'placed', sid = $sid, status = COALESCE(status, $status), due_at = NULL, updated_at = $now WHERE id = $id",
            cancellationToken, ("$id", id), ("$sid", sid), ("$status", status));

    public async Task MarkRefusedAsync(long id, string? errorCode, string detail, CancellationToken cancellationToken) =>
        await ExecAsync("UPDATE telephony_attempts SET state = 'refused', error_code = $code, detail = $detail, due_at = NULL, updated_at = $now WHERE id = $id",
            cancellationToken, ("$id", id), ("$code", errorCode), ("$detail", detail));

    public async Task MarkSkippedAsync(long id, string detail, CancellationToken cancellationToken) =>
        await ExecAsync("UPDATE telephony_attempts SET state = 'skipped', detail = $detail, due_at = NULL, updated_at = $now WHERE id = $id",
            cancellationToken, ("$id", id), ("$detail", detail));

    /// <summary>A placement that could not be made now (throttled, Twilio unreachable): back to scheduled, due later.</summary>
    public async Task RescheduleAsync(long id, long dueAt, string detail, CancellationToken cancellationToken) =>
        await ExecAsync("UPDATE telephony_attempts SET state = 'scheduled', due_at = $due, detail = $detail, updated_at = $now WHERE id = $id",
            cancellationToken, ("$id", id), ("$due", dueAt), ("$detail", detail));

    /// <summary>Back to 'placing' for a channel attempt whose request failed before Twilio accepted it (the outbox retries it).</summary>
    public async Task ResetPlacingAsync(long id, string detail, CancellationToken cancellationToken) =>
        await ExecAsync("UPDATE telephony_attempts SET state = 'placing', detail = $detail, updated_at = $now WHERE id = $id",
            cancellationToken, ("$id", id), ("$detail", detail));

    /// <summary>
    /// Records a status callback. Callbacks may arrive twice or out of order: a lower <paramref name="sequence"/> than the
    /// one recorded changes nothing (-1 = the sender gave none). Returns the attempt as it is now, or null if unknown.
    /// </summary>
    public async Task<TelephonyAttempt?> RecordStatusAsync(long id, string status, string? answeredBy, string? errorCode, int sequence,
        CancellationToken cancellationToken)
    {
        await ExecAsync("""
            UPDATE telephony_attempts SET status = $status, answered_by = COALESCE($answered, answered_by), error_code = COALESCE($code, error_code),
                sequence = MAX(sequence, $seq), updated_at = $now
            WHERE id = $id AND ($seq < 0 OR $seq >= sequence)
            """, cancellationToken, ("$id", id), ("$status", status), ("$answered", answeredBy), ("$code", errorCode), ("$seq", sequence));
        return await GetAsync(id, cancellationToken);
    }

    public async Task RecordAnsweredByAsync(long id, string answeredBy, CancellationToken cancellationToken) =>
        await ExecAsync("UPDATE telephony_attempts SET answered_by = $a, updated_at = $now WHERE id = $id", cancellationToken, ("$id", id), ("$a", answeredBy));

    public async Task RecordDigitsAsync(long id, string digits, bool acknowledged, CancellationToken cancellationToken) =>
        await ExecAsync("UPDATE telephony_attempts SET digits = $d, acknowledged = MAX(acknowledged, $ack), updated_at = $now WHERE id = $id",
            cancellationToken, ("$id", id), ("$d", digits), ("$ack", acknowledged ? 1 : 0));

    /// <summary>Schedules the next attempt after a busy / no-answer / failed call (once, however often the callback arrives).</summary>
    public async Task<bool> ScheduleRetryAsync(TelephonyAttempt after, long dueAt, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT OR IGNORE INTO telephony_attempts(delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, due_at, created_at, updated_at)
            SELECT delivery_key, attempt + 1, alert_id, version, resident_id, channel, address, language, spoken, 'scheduled', $due, $now, $now
            FROM telephony_attempts WHERE id = $id
            """;
        cmd.Parameters.AddWithValue("$id", after.Id);
        cmd.Parameters.AddWithValue("$due", dueAt);
        cmd.Parameters.AddWithValue("$now", now);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Takes due retries (scheduled → placing) so one worker places each once.</summary>
    public async Task<IReadOnlyList<TelephonyAttempt>> ClaimDueAsync(string channel, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            UPDATE telephony_attempts SET state = 'placing', updated_at = $now
            WHERE id IN (SELECT id FROM telephony_attempts WHERE state = 'scheduled' AND channel = $channel AND due_at <= $now ORDER BY due_at LIMIT $limit)
            RETURNING {Columns}
            """;
        cmd.Parameters.AddWithValue("$now", Now());
        cmd.Parameters.AddWithValue("$channel", channel);
        cmd.Parameters.AddWithValue("$limit", limit);
        return await ReadAllAsync(cmd, cancellationToken);
    }

    /// <summary>Retries claimed by a process that died before placing them become due again.</summary>
    public async Task<int> ReleaseStuckRetriesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE telephony_attempts SET state = 'scheduled', due_at = $now WHERE state = 'placing' AND attempt > 1";
        cmd.Parameters.AddWithValue("$now", Now());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> IsAcknowledgedAsync(string alertId, Guid residentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM alert_acks WHERE alert_id = $a AND resident_id = $r)";
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    /// <summary>Whether the resident still has this address active on the channel (not removed, not pruned).</summary>
    public async Task<bool> EndpointActiveAsync(Guid residentId, string channel, string address, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM resident_endpoints WHERE resident_id = $r AND channel = $c AND address = $a AND state = 'active')";
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        cmd.Parameters.AddWithValue("$c", channel);
        cmd.Parameters.AddWithValue("$a", address);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task<IReadOnlyList<TelephonyAttempt>> ListAsync(string alertId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM telephony_attempts WHERE alert_id = $a ORDER BY id LIMIT $limit";
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$limit", limit);
        return await ReadAllAsync(cmd, cancellationToken);
    }

    public async Task<TelephonyAttempt?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM telephony_attempts WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return (await ReadAllAsync(cmd, cancellationToken)).FirstOrDefault();
    }

    private static async Task<TelephonyAttempt?> FindAsync(SqliteConnection connection, string deliveryKey, int attempt, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM telephony_attempts WHERE delivery_key = $key AND attempt = $attempt";
        cmd.Parameters.AddWithValue("$key", deliveryKey);
        cmd.Parameters.AddWithValue("$attempt", attempt);
        return (await ReadAllAsync(cmd, cancellationToken)).FirstOrDefault();
    }

    private static async Task<List<TelephonyAttempt>> ReadAllAsync(SqliteCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<TelephonyAttempt>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new TelephonyAttempt(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), Guid.Parse(r.GetString(5)),
                r.GetString(6), r.GetString(7), r.GetString(8), r.GetString(9), r.GetString(10), r.IsDBNull(11) ? null : r.GetInt64(11),
                Text(r, 12), Text(r, 13), Text(r, 14), Text(r, 15), r.GetInt64(16) == 1, Text(r, 17), Text(r, 18), r.GetInt32(19), r.GetInt64(20), r.GetInt64(21)));
        }

        return list;

        static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    }

    private async Task ExecAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$now", Now());
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
