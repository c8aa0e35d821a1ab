using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>alerts</c>, <c>alert_versions</c> and <c>alert_acks</c> tables in PostgreSQL.</summary>
/// <remarks>
/// The board's list reads, without writing, the approved draft (<c>alert_drafts</c>), an audited bypass reason
/// (<c>audit_log</c>) and the latest 安否 replies (<c>safety_replies</c>) in the same statement: asking each owner per listed
/// alert would be a query per row.
/// </remarks>
internal sealed class PostgresAlertStore(NpgsqlDataSource dataSource) : IAlertStore
{
    private const string PeopleColumns = """
        a.created_by,
        (SELECT d.created_by FROM alert_drafts d WHERE d.alert_id = a.id AND d.updates_alert_id IS NULL AND d.state = 'approved' LIMIT 1),
        (SELECT d.decided_by FROM alert_drafts d WHERE d.alert_id = a.id AND d.updates_alert_id IS NULL AND d.state = 'approved' LIMIT 1),
        (SELECT l.detail FROM audit_log l WHERE l.target = a.id AND l.action = 'alerts.issue.bypass' ORDER BY l.id LIMIT 1),
        (SELECT COUNT(*) FROM alert_acks k WHERE k.alert_id = a.id),
        (SELECT COUNT(*) FILTER (WHERE s.status = 'safe') FROM (SELECT DISTINCT ON (resident_id) status FROM safety_replies
                                                               WHERE alert_id = a.id ORDER BY resident_id, id DESC) s),
        (SELECT COUNT(*) FILTER (WHERE s.status = 'need-help') FROM (SELECT DISTINCT ON (resident_id) status FROM safety_replies
                                                                    WHERE alert_id = a.id ORDER BY resident_id, id DESC) s)
        """;

    /// <summary>The list's filters. Words: every version and language (a cancel's text quotes the headline, an update may have
    /// changed it); ILIKE, as SQLite's LIKE ignores the case of ASCII letters.</summary>
    private static readonly AlertFilterSql Filters = new(
        Words: """
            EXISTS (SELECT 1 FROM alert_versions w WHERE w.alert_id = a.id AND (
                w.document->>'event' ILIKE @q ESCAPE '\' OR w.document->>'areaName' ILIKE @q ESCAPE '\'
                OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_typeof(w.document->'texts') = 'object' THEN w.document->'texts' ELSE '{}'::json END) t
                           WHERE t.value->>'headline' ILIKE @q ESCAPE '\' OR t.value->>'body' ILIKE @q ESCAPE '\'
                              OR t.value->>'instruction' ILIKE @q ESCAPE '\')))
            """,
        Status: "v.document->>'status' = @status",
        State: "a.state = @state",
        Expired: "a.state = 'issued' AND v.expires_at IS NOT NULL AND v.expires_at <= @now",
        Active: "a.state = 'issued' AND (v.expires_at IS NULL OR v.expires_at > @now)",
        From: "a.created_at >= @from",
        To: "a.created_at <= @to",
        Before: "a.created_at < @before");

    public async Task<bool> AdvanceAsync(IStoreTransaction transaction, string alertId, int version, string state, bool isCancel, DateTimeOffset createdAt,
        string createdBy, CancellationToken cancellationToken)
    {
        var tx = PostgresStoreTransaction.Of(transaction);
        if (version == 1)
        {
            await using var insert = tx.Command("INSERT INTO alerts(id, current_version, state, created_at, created_by) VALUES (@id, 1, @state, @at, @by)");
            PostgresParameters.Add(insert, ("id", alertId), ("state", state), ("at", createdAt), ("by", createdBy));
            await insert.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }

        // The UPDATE locks the alert's row until the transaction ends: a concurrent version of the same alert (another request,
        // another node) waits, then finds current_version moved on and changes nothing.
        await using var update = tx.Command("""
            UPDATE alerts SET current_version = @v, state = @state
            WHERE id = @id AND current_version = @v - 1 AND state <> 'cancelled' AND (state <> 'ended' OR @cancel)
            """);
        PostgresParameters.Add(update, ("id", alertId), ("v", version), ("state", state), ("cancel", isCancel));
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task InsertVersionAsync(IStoreTransaction transaction, StoredAlertVersion v, CancellationToken cancellationToken)
    {
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command("""
            INSERT INTO alert_versions(alert_id, version, msg_type, issued_at, expires_at, priority, recipients, document, queued_complete, queued_in_full_at)
            VALUES (@a, @v, @type, @at, @exp, @p, @n, @doc, @complete, @queuedAt)
            """);
        PostgresParameters.Add(cmd, ("a", v.AlertId), ("v", v.Version), ("type", v.MsgType), ("at", v.IssuedAt), ("exp", v.ExpiresAt), ("p", v.Priority), ("n", v.Recipients),
            ("complete", v.QueuedInFull), ("queuedAt", v.QueuedInFullAtMs));
        cmd.Parameters.AddWithValue("doc", NpgsqlDbType.Json, v.Document);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<QueueingCheck> CheckQueueingAsync(IStoreTransaction transaction, string alertId, int version, string? owner,
        CancellationToken cancellationToken)
    {
        // FOR SHARE locks both rows: a new version (AdvanceAsync's UPDATE of the alert) and a take-over (the version's UPDATE)
        // wait until this transaction has queued its part.
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command("""
            SELECT a.current_version, v.queueing_owner FROM alerts a JOIN alert_versions v ON v.alert_id = a.id AND v.version = @v
            WHERE a.id = @a FOR SHARE
            """);
        PostgresParameters.Add(cmd, ("a", alertId), ("v", version));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetInt32(0) != version)
        {
            return QueueingCheck.Superseded;
        }

        return (reader.IsDBNull(1) ? null : reader.GetString(1)) == owner ? QueueingCheck.Queueing : QueueingCheck.TakenOver;
    }

    public async Task<bool> TakeOverQueueingAsync(string alertId, int version, string owner, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE alert_versions SET queueing_owner = @o WHERE alert_id = @a AND version = @v AND NOT queued_complete");
        PostgresParameters.Add(cmd, ("a", alertId), ("v", version), ("o", owner));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> CompleteQueueingAsync(string alertId, int version, string? owner, long atMs, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE alert_versions SET queued_complete = true, queued_in_full_at = @at
            WHERE alert_id = @a AND version = @v AND queueing_owner IS NOT DISTINCT FROM @o
            """);
        PostgresParameters.Add(cmd, ("a", alertId), ("v", version), ("at", atMs), ("o", owner));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<(string AlertId, int Version)>> UnfinishedQueueingAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT alert_id, version FROM alert_versions WHERE NOT queued_complete ORDER BY alert_id COLLATE \"C\", version");
        return await cmd.ListAsync(reader => (reader.GetString(0), reader.GetInt32(1)), cancellationToken);
    }

    public async Task<string?> GetDocumentAsync(string alertId, int version, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT document::text FROM alert_versions WHERE alert_id = @a AND version = @v");
        PostgresParameters.Add(cmd, ("a", alertId), ("v", version));
        return await cmd.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<(int CurrentVersion, string State)?> GetHeadAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT current_version, state FROM alerts WHERE id = @a");
        PostgresParameters.Add(cmd, ("a", alertId));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt32(0), reader.GetString(1)) : null;
    }

    public async Task<IReadOnlyList<AlertVersionRow>> ListVersionsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT version, msg_type, issued_at, expires_at, recipients, queued_in_full_at FROM alert_versions WHERE alert_id = @a ORDER BY version");
        PostgresParameters.Add(cmd, ("a", alertId));
        return await cmd.ListAsync(AlertSearch.Version, cancellationToken);
    }

    public async Task<IReadOnlyList<AlertRow>> ListAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand();
        var where = AlertSearch.Where(query, Filters, (name, value) => PostgresParameters.Add(cmd, (name, value)));
        PostgresParameters.Add(cmd, ("now", query.Now));
        cmd.CommandText = $"""
            SELECT a.id, a.current_version, a.state, a.created_at, v.issued_at, v.expires_at, v.recipients, v.document::text, {PeopleColumns}
            FROM alerts a JOIN alert_versions v ON v.alert_id = a.id AND v.version = a.current_version
            {where}
            ORDER BY a.created_at DESC, a.id COLLATE "C" LIMIT @n
            """;
        PostgresParameters.Add(cmd, ("n", query.Limit));
        return await cmd.ListAsync(AlertSearch.Row, cancellationToken);
    }

    public async Task<AlertPeople?> PeopleAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {PeopleColumns} FROM alerts a WHERE a.id = @id");
        PostgresParameters.Add(cmd, ("id", alertId));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? AlertPeople.Read(reader, 0) : null;
    }


    public async Task<IReadOnlyList<string>> CurrentDocumentsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT v.document::text FROM alert_versions v JOIN alerts a ON a.id = v.alert_id AND a.current_version = v.version
            ORDER BY v.issued_at DESC, v.alert_id COLLATE "C" LIMIT @n
            """);
        PostgresParameters.Add(cmd, ("n", limit));
        return await cmd.ListAsync(reader => reader.GetString(0), cancellationToken);
    }

    public async Task<bool> AcknowledgeAsync(string alertId, Guid residentId, DateTimeOffset at, string via, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH ack AS (
                INSERT INTO alert_acks(alert_id, resident_id, at, via) SELECT id, @r, @at, @via FROM alerts WHERE id = @a
                ON CONFLICT (alert_id, resident_id) DO NOTHING)
            SELECT EXISTS(SELECT 1 FROM alerts WHERE id = @a)
            """);
        PostgresParameters.Add(cmd, ("a", alertId), ("r", residentId), ("at", at), ("via", via));
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<long> AcknowledgementCountAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT COUNT(*) FROM alert_acks WHERE alert_id = @a");
        PostgresParameters.Add(cmd, ("a", alertId));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> AcknowledgementsAsync(Guid residentId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT alert_id, at FROM alert_acks WHERE resident_id = @r");
        PostgresParameters.Add(cmd, ("r", residentId));
        return (await cmd.ListAsync(reader => (Alert: reader.GetString(0), At: reader.Instant(1)), cancellationToken))
            .ToDictionary(a => a.Alert, a => a.At, StringComparer.Ordinal);
    }

    public async Task<bool> IsAcknowledgedAsync(string alertId, Guid residentId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS(SELECT 1 FROM alert_acks WHERE alert_id = @a AND resident_id = @r)");
        PostgresParameters.Add(cmd, ("a", alertId), ("r", residentId));
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<string>> IdsStartingWithAsync(string prefix, CancellationToken cancellationToken)
    {
        // A range on the primary key in code-point order; ids are lower-case hex, so 'g' sorts after every id with the prefix.
        await using var cmd = dataSource.CreateCommand(
            "SELECT id FROM alerts WHERE id COLLATE \"C\" >= @p AND id COLLATE \"C\" < (@p || 'g') ORDER BY id COLLATE \"C\" LIMIT 2");
        PostgresParameters.Add(cmd, ("p", prefix));
        return await cmd.ListAsync(reader => reader.GetString(0), cancellationToken);
    }
}
