using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>telephony_attempts</c> table in PostgreSQL (instants as timestamptz, to the millisecond as the attempts carry them).</summary>
internal sealed class PostgresTelephonyAttemptStore(NpgsqlDataSource dataSource) : ITelephonyAttemptStore
{
    public async Task<(TelephonyAttempt Attempt, bool Created)> BeginAsync(TelephonyAttemptStart start, DateTimeOffset now, CancellationToken cancellationToken)
    {
        bool created;
        await using (var insert = dataSource.CreateCommand("""
            INSERT INTO telephony_attempts(delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, created_at, updated_at)
            VALUES (@key, 1, @alert, @version, @resident, @channel, @address, @language, @spoken, 'placing', @now, @now)
            ON CONFLICT (delivery_key, attempt) DO NOTHING
            """))
        {
            insert.Parameters.AddWithValue("key", start.DeliveryKey);
            insert.Parameters.AddWithValue("alert", start.AlertId);
            insert.Parameters.AddWithValue("version", start.Version);
            insert.Parameters.AddWithValue("resident", start.ResidentId);
            insert.Parameters.AddWithValue("channel", start.Channel);
            insert.Parameters.AddWithValue("address", start.Address);
            insert.Parameters.AddWithValue("language", start.Language);
            insert.Parameters.AddWithValue("spoken", start.Spoken);
            insert.Parameters.AddWithValue("now", Ms(now));
            created = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
        }

        var attempt = await FindAsync(start.DeliveryKey, 1, cancellationToken) ?? throw new InvalidOperationException("attempt vanished");
        return (attempt, created);
    }

    public async Task<TelephonyAttempt?> FindAsync(string deliveryKey, int attempt, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {TelephonyAttemptRows.Columns} FROM telephony_attempts WHERE delivery_key = @key AND attempt = @attempt");
        cmd.Parameters.AddWithValue("key", deliveryKey);
        cmd.Parameters.AddWithValue("attempt", attempt);
        return await cmd.FirstOrDefaultAsync(TelephonyAttemptRows.Read, cancellationToken);
    }

    public async Task<TelephonyAttempt?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {TelephonyAttemptRows.Columns} FROM telephony_attempts WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.FirstOrDefaultAsync(TelephonyAttemptRows.Read, cancellationToken);
    }

    public async Task<IReadOnlyList<TelephonyAttempt>> ListAsync(string alertId, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {TelephonyAttemptRows.Columns} FROM telephony_attempts WHERE alert_id = @a ORDER BY id LIMIT @limit");
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(TelephonyAttemptRows.Read, cancellationToken);
    }

    public Task MarkPlacedAsync(long id, string sid, string status, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'placed', sid = @sid, status = COALESCE(status, @status), due_at = NULL, updated_at = @now WHERE id = @id",
            now, cancellationToken, ("id", id), ("sid", sid), ("status", status));

    public Task MarkRefusedAsync(long id, string? errorCode, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'refused', error_code = @code, detail = @detail, due_at = NULL, updated_at = @now WHERE id = @id",
            now, cancellationToken, ("id", id), ("code", errorCode), ("detail", detail));

    public Task MarkSkippedAsync(long id, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'skipped', detail = @detail, due_at = NULL, updated_at = @now WHERE id = @id",
            now, cancellationToken, ("id", id), ("detail", detail));

    public Task RescheduleAsync(long id, DateTimeOffset dueAt, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'scheduled', due_at = @due, detail = @detail, updated_at = @now WHERE id = @id",
            now, cancellationToken, ("id", id), ("due", Ms(dueAt)), ("detail", detail));

    public Task ResetPlacingAsync(long id, string detail, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET state = 'placing', detail = @detail, updated_at = @now WHERE id = @id",
            now, cancellationToken, ("id", id), ("detail", detail));

    /// <remarks>Concurrent callbacks of one attempt queue on its row lock, and each re-checks the sequence against the row as the one before left it.</remarks>
    public async Task<TelephonyAttempt?> RecordStatusAsync(long id, string status, string? answeredBy, string? errorCode, int sequence, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await ExecAsync("""
            UPDATE telephony_attempts SET status = @status, answered_by = COALESCE(@answered, answered_by), error_code = COALESCE(@code, error_code),
                sequence = GREATEST(sequence, @seq), updated_at = @now
            WHERE id = @id AND (@seq < 0 OR @seq >= sequence)
            """, now, cancellationToken, ("id", id), ("status", status), ("answered", answeredBy), ("code", errorCode), ("seq", sequence));
        return await GetAsync(id, cancellationToken);
    }

    public Task RecordAnsweredByAsync(long id, string answeredBy, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET answered_by = @a, updated_at = @now WHERE id = @id", now, cancellationToken, ("id", id), ("a", answeredBy));

    public Task RecordDigitsAsync(long id, string digits, bool acknowledged, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecAsync("UPDATE telephony_attempts SET digits = @d, acknowledged = acknowledged OR @ack, updated_at = @now WHERE id = @id",
            now, cancellationToken, ("id", id), ("d", digits), ("ack", acknowledged));

    public async Task<bool> ScheduleRetryAsync(long afterId, DateTimeOffset dueAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The unique (delivery_key, attempt) makes a concurrent second insert wait for the first and then do nothing.
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO telephony_attempts(delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, due_at, created_at, updated_at)
            SELECT delivery_key, attempt + 1, alert_id, version, resident_id, channel, address, language, spoken, 'scheduled', @due, @now, @now
            FROM telephony_attempts WHERE id = @id
            ON CONFLICT (delivery_key, attempt) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("id", afterId);
        cmd.Parameters.AddWithValue("due", Ms(dueAt));
        cmd.Parameters.AddWithValue("now", Ms(now));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<TelephonyAttempt>> ClaimDueAsync(string channel, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // SKIP LOCKED: a row another node is claiming is left to it rather than waited for (and then found taken).
        await using var cmd = dataSource.CreateCommand($"""
            WITH due AS (
                SELECT id FROM telephony_attempts WHERE state = 'scheduled' AND channel = @channel AND due_at <= @now
                ORDER BY due_at LIMIT @limit FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE telephony_attempts t SET state = 'placing', updated_at = @now FROM due WHERE t.id = due.id
                RETURNING t.*)
            SELECT {TelephonyAttemptRows.Columns} FROM claimed ORDER BY due_at, id
            """);
        cmd.Parameters.AddWithValue("now", Ms(now));
        cmd.Parameters.AddWithValue("channel", channel);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(TelephonyAttemptRows.Read, cancellationToken);
    }

    public async Task<int> ReleaseStuckRetriesAsync(DateTimeOffset now, CancellationToken cancellationToken, DateTimeOffset? placingBefore = null)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE telephony_attempts SET state = 'scheduled', due_at = @now WHERE state = 'placing' AND attempt > 1 AND (@before::timestamptz IS NULL OR updated_at < @before)");
        cmd.Parameters.AddWithValue("now", Ms(now));
        cmd.Parameters.AddWithValue("before", NpgsqlTypes.NpgsqlDbType.TimestampTz, placingBefore is { } b ? Ms(b) : DBNull.Value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> ForgetResidentAsync(IStoreTransaction transaction, Guid residentId, CancellationToken cancellationToken)
    {
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command("DELETE FROM telephony_attempts WHERE resident_id = @r");
        cmd.Parameters.AddWithValue("r", residentId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An instant cut to the millisecond, as attempts carry it, so that due times compare as they do on SQLite.</summary>
    private static DateTimeOffset Ms(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private async Task ExecAsync(string sql, DateTimeOffset now, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("now", Ms(now));
        foreach (var (name, value) in parameters)
        {
            // Untyped nulls would leave PostgreSQL unable to infer COALESCE's argument types.
            cmd.Parameters.Add(value is null ? new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = DBNull.Value } : new NpgsqlParameter(name, value));
        }

        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
