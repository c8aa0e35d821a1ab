using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>telephony_attempts</c> table in the embedded SQLite store (instants as Unix milliseconds).</summary>
internal sealed class SqliteTelephonyAttemptStore(Database database) : ITelephonyAttemptStore
{
    public async Task<(TelephonyAttempt Attempt, bool Created)> BeginAsync(TelephonyAttemptStart start, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT OR IGNORE INTO telephony_attempts(delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, created_at, updated_at)
            VALUES ($key, 1, $alert, $version, $resident, $channel, $address, $language, $spoken, 'placing', $now, $now)
            """;
        insert.Parameters.AddWithValue("$key", start.DeliveryKey);
        insert.Parameters.AddWithValue("$alert", start.AlertId);
        insert.Parameters.AddWithValue("$version", start.Version);
        insert.Parameters.AddWithValue("$resident", start.ResidentId.ToString());
        insert.Parameters.AddWithValue("$channel", start.Channel);
        insert.Parameters.AddWithValue("$address", start.Address);
        insert.Parameters.AddWithValue("$language", start.Language);
        insert.Parameters.AddWithValue("$spoken", start.Spoken);
        insert.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        var created = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
        var attempt = await FindAsync(connection, start.DeliveryKey, 1, cancellationToken) ?? throw new InvalidOperationException("attempt vanished");
        return (attempt, created);
    }

    public async Task<TelephonyAttempt?> FindAsync(string deliveryKey, int attempt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, deliveryKey, attempt, cancellationToken);
    }

    public async Task<TelephonyAttempt?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {TelephonyAttemptRows.Columns} FROM telephony_attempts WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.FirstOrDefaultAsync(TelephonyAttemptRows.Read, cancellationToken);
    }

    public async Task<IReadOnlyList<TelephonyAttempt>> ListAsync(string alertId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {TelephonyAttemptRows.Columns} FROM telephony_attempts WHERE alert_id = $a ORDER BY id LIMIT $limit";
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$limit", limit);
        return await cmd.ListAsync(TelephonyAttemptRows.Read, cancellationToken);
    }

    public Task MarkPlacedAsync(long id, string sid, string status, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'placed', sid = $sid, status = COALESCE(status, $status), due_at = NULL, updated_at = $now WHERE id = $id",
            now, cancellationToken, ("$id", id), ("$sid", sid), ("$status", status));

    public Task MarkRefusedAsync(long id, string? errorCode, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'refused', error_code = $code, detail = $detail, due_at = NULL, updated_at = $now WHERE id = $id",
            now, cancellationToken, ("$id", id), ("$code", errorCode), ("$detail", detail));

    public Task MarkSkippedAsync(long id, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'skipped', detail = $detail, due_at = NULL, updated_at = $now WHERE id = $id",
            now, cancellationToken, ("$id", id), ("$detail", detail));

    public Task RescheduleAsync(long id, DateTimeOffset dueAt, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'scheduled', due_at = $due, detail = $detail, updated_at = $now WHERE id = $id",
            now, cancellationToken, ("$id", id), ("$due", dueAt.ToUnixTimeMilliseconds()), ("$detail", detail));

    public Task ResetPlacingAsync(long id, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'placing', detail = $detail, updated_at = $now WHERE id = $id",
            now, cancellationToken, ("$id", id), ("$detail", detail));

    public async Task<TelephonyAttempt?> RecordStatusAsync(long id, string status, string? answeredBy, string? errorCode, int sequence, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await ExecAsync("""
            UPDATE telephony_attempts SET status = $status, answered_by = COALESCE($answered, answered_by), error_code = COALESCE($code, error_code),
                sequence = MAX(sequence, $seq), updated_at = $now
            WHERE id = $id AND ($seq < 0 OR $seq >= sequence)
            """, now, cancellationToken, ("$id", id), ("$status", status), ("$answered", answeredBy), ("$code", errorCode), ("$seq", sequence));
        return await GetAsync(id, cancellationToken);
    }

    public Task RecordAnsweredByAsync(long id, string answeredBy, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET answered_by = $a, updated_at = $now WHERE id = $id", now, cancellationToken, ("$id", id), ("$a", answeredBy));

    public Task RecordDigitsAsync(long id, string digits, bool acknowledged, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET digits = $d, acknowledged = MAX(acknowledged, $ack), updated_at = $now WHERE id = $id",
            now, cancellationToken, ("$id", id), ("$d", digits), ("$ack", acknowledged ? 1 : 0));

    public async Task<bool> ScheduleRetryAsync(long afterId, DateTimeOffset dueAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT OR IGNORE INTO telephony_attempts(delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, due_at, created_at, updated_at)
            SELECT delivery_key, attempt + 1, alert_id, version, resident_id, channel, address, language, spoken, 'scheduled', $due, $now, $now
            FROM telephony_attempts WHERE id = $id
            """;
        cmd.Parameters.AddWithValue("$id", afterId);
        cmd.Parameters.AddWithValue("$due", dueAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<TelephonyAttempt>> ClaimDueAsync(string channel, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One statement: SQLite runs it under its write lock, so two claimers never take the same row.
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            UPDATE telephony_attempts SET state = 'placing', updated_at = $now
            WHERE id IN (SELECT id FROM telephony_attempts WHERE state = 'scheduled' AND channel = $channel AND due_at <= $now ORDER BY due_at LIMIT $limit)
            RETURNING {TelephonyAttemptRows.Columns}
            """;
        cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$channel", channel);
        cmd.Parameters.AddWithValue("$limit", limit);
        var claimed = await cmd.ListAsync(TelephonyAttemptRows.Read, cancellationToken);
        claimed.Sort((a, b) => Nullable.Compare(a.DueAt, b.DueAt) is var c && c != 0 ? c : a.Id.CompareTo(b.Id));
        return claimed;
    }

    public async Task<int> ReleaseStuckRetriesAsync(DateTimeOffset now, CancellationToken cancellationToken, DateTimeOffset? placingBefore = null)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE telephony_attempts SET state = 'scheduled', due_at = $now WHERE state = 'placing' AND attempt > 1 AND ($before IS NULL OR updated_at < $before)";
        cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$before", placingBefore is { } b ? b.ToUnixTimeMilliseconds() : DBNull.Value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> ForgetResidentAsync(IStoreTransaction transaction, Guid residentId, CancellationToken cancellationToken)
    {
        // The foreign key to residents cascades too; deleting here keeps the table's one writer this store, whatever the order of the forget.
        await using var cmd = SqliteStoreTransaction.Of(transaction).Command("DELETE FROM telephony_attempts WHERE resident_id = $r");
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<TelephonyAttempt?> FindAsync(SqliteConnection connection, string deliveryKey, int attempt, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {TelephonyAttemptRows.Columns} FROM telephony_attempts WHERE delivery_key = $key AND attempt = $attempt";
        cmd.Parameters.AddWithValue("$key", deliveryKey);
        cmd.Parameters.AddWithValue("$attempt", attempt);
        return await cmd.FirstOrDefaultAsync(TelephonyAttemptRows.Read, cancellationToken);
    }

    private async Task ExecAsync(string sql, DateTimeOffset now, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
