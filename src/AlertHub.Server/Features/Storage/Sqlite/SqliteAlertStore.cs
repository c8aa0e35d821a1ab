using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>alerts</c>, <c>alert_versions</c> and <c>alert_acks</c> tables in the embedded SQLite store.</summary>
/// <remarks>
/// The board's list reads, without writing, the approved draft (<c>alert_drafts</c>), an audited bypass reason
/// (<c>audit_log</c>) and the latest 安否 replies (<c>safety_replies</c>) in the same statement: asking each owner per listed
/// alert would be a query per row.
/// </remarks>
internal sealed class SqliteAlertStore(Database database) : IAlertStore
{
    private const string PeopleColumns = """
        a.created_by,
        (SELECT d.created_by FROM alert_drafts d WHERE d.alert_id = a.id AND d.updates_alert_id IS NULL AND d.state = 'approved' LIMIT 1),
        (SELECT d.decided_by FROM alert_drafts d WHERE d.alert_id = a.id AND d.updates_alert_id IS NULL AND d.state = 'approved' LIMIT 1),
        (SELECT l.detail FROM audit_log l WHERE l.target = a.id AND l.action = 'alerts.issue.bypass' ORDER BY l.id LIMIT 1),
        (SELECT COUNT(*) FROM alert_acks k WHERE k.alert_id = a.id),
        (SELECT COUNT(*) FROM safety_replies s WHERE s.id IN (SELECT MAX(id) FROM safety_replies WHERE alert_id = a.id GROUP BY resident_id) AND s.status = 'safe'),
        (SELECT COUNT(*) FROM safety_replies s WHERE s.id IN (SELECT MAX(id) FROM safety_replies WHERE alert_id = a.id GROUP BY resident_id) AND s.status = 'need-help')
        """;

    /// <summary>The list's filters. Words: every version and language (a cancel's text quotes the headline, an update may have changed it).</summary>
    private static readonly AlertFilterSql Filters = new(
        Words: """
            EXISTS (SELECT 1 FROM alert_versions w WHERE w.alert_id = a.id AND (
                json_extract(w.document, '$.event') LIKE $q ESCAPE '\' OR json_extract(w.document, '$.areaName') LIKE $q ESCAPE '\'
                OR EXISTS (SELECT 1 FROM json_each(w.document, '$.texts') t
                           WHERE json_extract(t.value, '$.headline') LIKE $q ESCAPE '\' OR json_extract(t.value, '$.body') LIKE $q ESCAPE '\'
                              OR json_extract(t.value, '$.instruction') LIKE $q ESCAPE '\')))
            """,
        Status: "json_extract(v.document, '$.status') = $status",
        State: "a.state = $state",
        Expired: "a.state = 'issued' AND v.expires_at IS NOT NULL AND julianday(v.expires_at) <= julianday($now)",
        Active: "a.state = 'issued' AND (v.expires_at IS NULL OR julianday(v.expires_at) > julianday($now))",
        From: "julianday(a.created_at) >= julianday($from)",
        To: "julianday(a.created_at) <= julianday($to)",
        Before: "julianday(a.created_at) < julianday($before)");

    public async Task<bool> AdvanceAsync(IStoreTransaction transaction, string alertId, int version, string state, bool isCancel, DateTimeOffset createdAt,
        string createdBy, CancellationToken cancellationToken)
    {
        var tx = SqliteStoreTransaction.Of(transaction);
        if (version == 1)
        {
            await using var insert = tx.Command("INSERT INTO alerts(id, current_version, state, created_at, created_by) VALUES ($id, 1, $state, $at, $by)");
            SqliteParameters.Add(insert, ("$id", alertId), ("$state", state), ("$at", createdAt.ToString("O")), ("$by", createdBy));
            await insert.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }

        // The transaction is immediate (it holds SQLite's write lock), so the check and the update see one state.
        await using var update = tx.Command("""
            UPDATE alerts SET current_version = $v, state = $state
            WHERE id = $id AND current_version = $v - 1 AND state <> 'cancelled' AND (state <> 'ended' OR $cancel = 1)
            """);
        SqliteParameters.Add(update, ("$id", alertId), ("$v", version), ("$state", state), ("$cancel", isCancel ? 1 : 0));
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task InsertVersionAsync(IStoreTransaction transaction, StoredAlertVersion v, CancellationToken cancellationToken)
    {
        await using var cmd = SqliteStoreTransaction.Of(transaction).Command("""
            INSERT INTO alert_versions(alert_id, version, msg_type, issued_at, expires_at, priority, recipients, document, queued_complete, queued_in_full_at)
            VALUES ($a, $v, $type, $at, $exp, $p, $n, $doc, $complete, $queuedAt)
            """);
        SqliteParameters.Add(cmd, ("$a", v.AlertId), ("$v", v.Version), ("$type", v.MsgType), ("$at", v.IssuedAt.ToString("O")), ("$exp", v.ExpiresAt?.ToString("O")),
            ("$p", v.Priority), ("$n", v.Recipients), ("$doc", v.Document), ("$complete", v.QueuedInFull ? 1 : 0), ("$queuedAt", v.QueuedInFullAtMs));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<QueueingCheck> CheckQueueingAsync(IStoreTransaction transaction, string alertId, int version, string? owner,
        CancellationToken cancellationToken)
    {
        // The caller's write transaction holds SQLite's one write lock: nothing else advances or takes over meanwhile.
        await using var cmd = SqliteStoreTransaction.Of(transaction).Command("""
            SELECT a.current_version, v.queueing_owner FROM alerts a JOIN alert_versions v ON v.alert_id = a.id AND v.version = $v
            WHERE a.id = $a
            """);
        SqliteParameters.Add(cmd, ("$a", alertId), ("$v", version));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetInt64(0) != version)
        {
            return QueueingCheck.Superseded;
        }

        return (reader.IsDBNull(1) ? null : reader.GetString(1)) == owner ? QueueingCheck.Queueing : QueueingCheck.TakenOver;
    }

    public async Task<bool> TakeOverQueueingAsync(string alertId, int version, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE alert_versions SET queueing_owner = $o WHERE alert_id = $a AND version = $v AND queued_complete = 0";
        SqliteParameters.Add(cmd, ("$a", alertId), ("$v", version), ("$o", owner));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> CompleteQueueingAsync(string alertId, int version, string? owner, long atMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE alert_versions SET queued_complete = 1, queued_in_full_at = $at WHERE alert_id = $a AND version = $v AND queueing_owner IS $o";
        SqliteParameters.Add(cmd, ("$a", alertId), ("$v", version), ("$at", atMs), ("$o", owner));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<(string AlertId, int Version)>> UnfinishedQueueingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT alert_id, version FROM alert_versions WHERE queued_complete = 0 ORDER BY alert_id, version";
        return await cmd.ListAsync(reader => (reader.GetString(0), reader.GetInt32(1)), cancellationToken);
    }

    public async Task<string?> GetDocumentAsync(string alertId, int version, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT document FROM alert_versions WHERE alert_id = $a AND version = $v";
        SqliteParameters.Add(cmd, ("$a", alertId), ("$v", version));
        return await cmd.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<(int CurrentVersion, string State)?> GetHeadAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT current_version, state FROM alerts WHERE id = $a";
        SqliteParameters.Add(cmd, ("$a", alertId));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt32(0), reader.GetString(1)) : null;
    }

    public async Task<IReadOnlyList<AlertVersionRow>> ListVersionsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT version, msg_type, issued_at, expires_at, recipients, queued_in_full_at FROM alert_versions WHERE alert_id = $a ORDER BY version";
        SqliteParameters.Add(cmd, ("$a", alertId));
        return await cmd.ListAsync(AlertSearch.Version, cancellationToken);
    }

    public async Task<IReadOnlyList<AlertRow>> ListAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        var where = AlertSearch.Where(query, Filters, (name, value) =>
            SqliteParameters.Add(cmd, ("$" + name, value is DateTimeOffset at ? at.ToUniversalTime().ToString("O") : value)));
        SqliteParameters.Add(cmd, ("$now", query.Now.ToString("O")));
        cmd.CommandText = $"""
            SELECT a.id, a.current_version, a.state, a.created_at, v.issued_at, v.expires_at, v.recipients, v.document, {PeopleColumns}
            FROM alerts a JOIN alert_versions v ON v.alert_id = a.id AND v.version = a.current_version
            {where}
            ORDER BY julianday(a.created_at) DESC, a.id LIMIT $n
            """;
        SqliteParameters.Add(cmd, ("$n", query.Limit));
        return await cmd.ListAsync(AlertSearch.Row, cancellationToken);
    }

    public async Task<AlertPeople?> PeopleAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {PeopleColumns} FROM alerts a WHERE a.id = $id";
        SqliteParameters.Add(cmd, ("$id", alertId));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? AlertPeople.Read(reader, 0) : null;
    }


    public async Task<IReadOnlyList<string>> CurrentDocumentsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT v.document FROM alert_versions v JOIN alerts a ON a.id = v.alert_id AND a.current_version = v.version
            ORDER BY julianday(v.issued_at) DESC, v.alert_id LIMIT $n
            """;
        SqliteParameters.Add(cmd, ("$n", limit));
        return await cmd.ListAsync(reader => reader.GetString(0), cancellationToken);
    }

    public async Task<bool> AcknowledgeAsync(string alertId, Guid residentId, DateTimeOffset at, string via, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT OR IGNORE INTO alert_acks(alert_id, resident_id, at, via)
            SELECT id, $r, $at, $via FROM alerts WHERE id = $a;
            SELECT EXISTS(SELECT 1 FROM alerts WHERE id = $a);
            """;
        SqliteParameters.Add(cmd, ("$a", alertId), ("$r", residentId.ToString()), ("$at", at.ToString("O")), ("$via", via));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task<long> AcknowledgementCountAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM alert_acks WHERE alert_id = $a";
        SqliteParameters.Add(cmd, ("$a", alertId));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> AcknowledgementsAsync(Guid residentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT alert_id, at FROM alert_acks WHERE resident_id = $r";
        SqliteParameters.Add(cmd, ("$r", residentId.ToString()));
        return (await cmd.ListAsync(reader => (Alert: reader.GetString(0), At: reader.Instant(1)), cancellationToken))
            .ToDictionary(a => a.Alert, a => a.At, StringComparer.Ordinal);
    }

    public async Task<bool> IsAcknowledgedAsync(string alertId, Guid residentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM alert_acks WHERE alert_id = $a AND resident_id = $r)";
        SqliteParameters.Add(cmd, ("$a", alertId), ("$r", residentId.ToString()));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task<IReadOnlyList<string>> IdsStartingWithAsync(string prefix, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        // A range on the primary key; ids are lower-case hex, so 'g' sorts after every id with the prefix.
        cmd.CommandText = "SELECT id FROM alerts WHERE id >= $p AND id < $p || 'g' ORDER BY id LIMIT 2";
        SqliteParameters.Add(cmd, ("$p", prefix));
        return await cmd.ListAsync(reader => reader.GetString(0), cancellationToken);
    }
}
