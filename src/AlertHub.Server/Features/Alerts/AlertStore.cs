using System.Collections.Concurrent;
using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Server.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Alerts;

/// <summary>Alerts (all versions) and their delivery work, written together so issuing is atomic.</summary>
internal sealed class AlertStore(Database database, IOutboxStore outbox, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string, int), AlertDocument> _versions = new();

    // The newest version of each alert this process has written or read: lets a worker skip, without a query, an
    // item whose alert moved on while its batch was being sent.
    private readonly ConcurrentDictionary<string, int> _heads = new();

    /// <summary>
    /// Stores a new version and, in the same transaction, its delivery work (the outbox queues it in chunks), so a crash
    /// never leaves an issued alert without its outbox. Pending work of earlier versions is superseded: the new version
    /// reaches those people anyway.
    /// </summary>
    /// <param name="queuedInFull">False when only the first part of a large fan-out is queued now (see <see cref="AlertQueueing"/>).</param>
    /// <param name="laterRecipients">Residents left for the later parts, when only a part is queued now (counted in the version's recipients).</param>
    public async Task<(int Recipients, Dictionary<string, int> ByChannel)> InsertVersionAsync(
        AlertDocument document, OutboxEnqueue enqueue, string actor, CancellationToken cancellationToken, string? approvingDraftId = null,
        bool queuedInFull = true, int laterRecipients = 0)
    {
        // An immediate transaction: the write lock is taken first, so the draft and version checks below see what is
        // committed and no other writer slips in between a check and the insert.
        await using var transaction = await SqliteStoreTransaction.BeginAsync(database, cancellationToken);
        var (connection, tx) = (transaction.Connection, transaction.Transaction);
        if (approvingDraftId is not null)
        {
            // Approving issues at most once: the draft leaves 'pending' in the same transaction that stores the alert.
            var decided = await ExecAsync(connection, tx, """
                UPDATE alert_drafts SET state = 'approved', decided_at = $at, decided_by = $by, alert_id = $alert WHERE id = $id AND state = 'pending'
                """, cancellationToken, ("$id", approvingDraftId), ("$at", time.GetUtcNow().ToString("O")), ("$by", actor), ("$alert", document.Id));
            if (decided == 0)
            {
                throw new RequestValidationException(Problems.DraftAlreadyDecided, $"Draft {approvingDraftId} is no longer pending: someone decided it first.") { Status = 409 };
            }
        }

        if (document.Version > 1)
        {
            // Versions are numbered by the store, not by the caller's memory: a concurrent version (another request, another node) loses.
            await using var head = connection.CreateCommand();
            head.Transaction = tx;
            head.CommandText = "SELECT current_version, state FROM alerts WHERE id = $a";
            head.Parameters.AddWithValue("$a", document.Id);
            await using var reader = await head.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || reader.GetInt32(0) != document.Version - 1 || reader.GetString(1) == "cancelled"
                || (reader.GetString(1) == "ended" && document.MsgType != MsgType.Cancel))
            {
                throw new RequestValidationException(Problems.AlertVersionConflict,
                    $"Alert {document.Id} changed while this version was being prepared; read it again and retry.") { Status = 409 };
            }
        }

        if (document.Version == 1)
        {
            await ExecAsync(connection, tx, "INSERT INTO alerts(id, current_version, state, created_at, created_by) VALUES ($id, 1, $state, $at, $by)",
                cancellationToken, ("$id", document.Id), ("$state", StateOf(document)), ("$at", document.Sent.ToString("O")), ("$by", actor));
        }
        else
        {
            await ExecAsync(connection, tx, "UPDATE alerts SET current_version = $v, state = $state WHERE id = $id",
                cancellationToken, ("$id", document.Id), ("$v", document.Version), ("$state", StateOf(document)));
        }

        var (queued, byChannel) = await outbox.EnqueueAsync(transaction, enqueue, cancellationToken);
        var total = queued + laterRecipients;
        await ExecAsync(connection, tx, """
            INSERT INTO alert_versions(alert_id, version, msg_type, issued_at, expires_at, priority, recipients, document, queued_complete, queued_in_full_at)
            VALUES ($a, $v, $type, $at, $exp, $p, $n, $doc, $complete, $queuedAt)
            """, cancellationToken, ("$a", document.Id), ("$v", document.Version), ("$type", document.MsgType.ToString()),
            ("$at", document.Sent.ToString("O")), ("$exp", document.Expires?.ToString("O")), ("$p", document.Priority), ("$n", total),
            ("$doc", JsonSerializer.Serialize(document, Json.Options)), ("$complete", queuedInFull ? 1 : 0),
            ("$queuedAt", queuedInFull ? time.GetUtcNow().ToUnixTimeMilliseconds() : null));
        await ExecAsync(connection, tx, "INSERT INTO audit_log(at, actor, action, target, detail) VALUES ($at, $actor, $action, $target, $detail)",
            cancellationToken, ("$at", time.GetUtcNow().ToString("O")), ("$actor", actor), ("$action", "alerts." + document.MsgType.ToString().ToLowerInvariant()),
            ("$target", $"{document.Id}#{document.Version}"), ("$detail", $"{document.Status} {document.Event}: {total} recipients"));
        await tx.CommitAsync(cancellationToken);
        _versions[(document.Id, document.Version)] = document;
        _heads.AddOrUpdate(document.Id, document.Version, (_, known) => Math.Max(known, document.Version));
        return (total, byChannel);
    }

    /// <summary>
    /// Queues a later part of a version, unless a newer version exists (then the rest of this one is never queued:
    /// the newer version decides who hears what). The check and the insert are one transaction, so a newer version
    /// either supersedes this part or stops it. Returns false when it stopped.
    /// </summary>
    public async Task<bool> AppendQueuedPartAsync(string alertId, int version, OutboxEnqueue part, CancellationToken cancellationToken)
    {
        await using var transaction = await SqliteStoreTransaction.BeginAsync(database, cancellationToken);
        var (connection, tx) = (transaction.Connection, transaction.Transaction);
        await using (var head = connection.CreateCommand())
        {
            head.Transaction = tx;
            head.CommandText = "SELECT current_version FROM alerts WHERE id = $a";
            head.Parameters.AddWithValue("$a", alertId);
            if (await head.ExecuteScalarAsync(cancellationToken) is not long current || current != version)
            {
                return false;
            }
        }

        await outbox.EnqueueAsync(transaction, part with { Append = true }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Marks a version's queueing finished (all parts queued, or stopped by a newer version).</summary>
    public async Task CompleteQueueingAsync(string alertId, int version, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecAsync(connection, null, "UPDATE alert_versions SET queued_complete = 1, queued_in_full_at = $at WHERE alert_id = $a AND version = $v",
            cancellationToken, ("$a", alertId), ("$v", version), ("$at", time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    /// <summary>Versions whose queueing did not finish (their process died part way).</summary>
    public async Task<IReadOnlyList<(string AlertId, int Version)>> UnfinishedQueueingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT alert_id, version FROM alert_versions WHERE queued_complete = 0";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<(string, int)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((reader.GetString(0), reader.GetInt32(1)));
        }

        return list;
    }

    public async Task<AlertDocument?> GetVersionAsync(string id, int version, CancellationToken cancellationToken)
    {
        if (_versions.TryGetValue((id, version), out var cached))
        {
            return cached;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT document FROM alert_versions WHERE alert_id = $a AND version = $v";
        cmd.Parameters.AddWithValue("$a", id);
        cmd.Parameters.AddWithValue("$v", version);
        if (await cmd.ExecuteScalarAsync(cancellationToken) is not string json)
        {
            return null;
        }

        var document = JsonSerializer.Deserialize<AlertDocument>(json, Json.Options)!;
        _versions[(id, version)] = document;
        return document;
    }

    /// <summary>False once this process knows of a newer version of the alert (it wrote or read it); true otherwise.</summary>
    public bool MayBeCurrent(string id, int version) => !_heads.TryGetValue(id, out var head) || head <= version;

    public async Task<(int CurrentVersion, string State)?> GetHeadAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT current_version, state FROM alerts WHERE id = $a";
        cmd.Parameters.AddWithValue("$a", id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var head = reader.GetInt32(0);
        _heads.AddOrUpdate(id, head, (_, known) => Math.Max(known, head));
        return (head, reader.GetString(1));
    }

    public async Task<IReadOnlyList<VersionSummary>> ListVersionsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT version, msg_type, issued_at, expires_at, recipients, queued_in_full_at FROM alert_versions WHERE alert_id = $a ORDER BY version";
        cmd.Parameters.AddWithValue("$a", id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<VersionSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new VersionSummary(reader.GetInt32(0), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2)),
                reader.IsDBNull(3) ? null : DateTimeOffset.Parse(reader.GetString(3)), reader.GetInt32(4))
            {
                QueuedInFullAt = reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
            });
        }

        await reader.DisposeAsync();
        var byVersion = new Dictionary<int, Dictionary<string, VersionDelivery>>();
        var offline = await outbox.OfflineCountsAsync(id, cancellationToken);
        foreach (var (version, channel, delivery) in await outbox.VersionCountsAsync(id, cancellationToken))
        {
            (byVersion.TryGetValue(version, out var channels) ? channels : byVersion[version] = [])[channel] =
                delivery with { Offline = Math.Min(delivery.Pending, offline.GetValueOrDefault((version, channel))) };
        }

        return [.. list.Select(v => byVersion.TryGetValue(v.Version, out var channels)
            ? v with { Delivery = Sum(channels.Values), DeliveryByChannel = channels }
            : v with { Delivery = new VersionDelivery(0, 0, 0, 0, 0, 0, 0, 0, 0), DeliveryByChannel = new Dictionary<string, VersionDelivery>() })];
    }

    private static VersionDelivery Sum(IEnumerable<VersionDelivery> parts) => parts.Aggregate(new VersionDelivery(0, 0, 0, 0, 0, 0, 0, 0, 0),
        (a, b) => new VersionDelivery(a.Targeted + b.Targeted, a.Delivered + b.Delivered, a.Pending + b.Pending, a.Sending + b.Sending,
            a.Failed + b.Failed, a.Gone + b.Gone, a.Expired + b.Expired, a.Superseded + b.Superseded, a.Acknowledged + b.Acknowledged)
        { Offline = a.Offline + b.Offline });

    // Who wrote and who approved an alert: an approved draft names both; otherwise whoever issued it, and an emergency bypass
    // (audited as alerts.issue.bypass) its reason. Each resident's latest 安否 reply to the alert, and the acknowledgements.
    private const string PeopleAndRepliesColumns = """
        (SELECT d.created_by FROM alert_drafts d WHERE d.alert_id = a.id AND d.updates_alert_id IS NULL AND d.state = 'approved' LIMIT 1),
        (SELECT d.decided_by FROM alert_drafts d WHERE d.alert_id = a.id AND d.updates_alert_id IS NULL AND d.state = 'approved' LIMIT 1),
        (SELECT l.detail FROM audit_log l WHERE l.target = a.id AND l.action = 'alerts.issue.bypass' LIMIT 1),
        (SELECT COUNT(*) FROM alert_acks k WHERE k.alert_id = a.id),
        (SELECT COUNT(*) FROM safety_replies s WHERE s.id IN (SELECT MAX(id) FROM safety_replies WHERE alert_id = a.id GROUP BY resident_id) AND s.status = 'safe'),
        (SELECT COUNT(*) FROM safety_replies s WHERE s.id IN (SELECT MAX(id) FROM safety_replies WHERE alert_id = a.id GROUP BY resident_id) AND s.status = 'need-help')
        """;

    /// <summary>Alerts newest first with what the board's list shows, filtered (<see cref="AlertListFilter"/>).</summary>
    public async Task<IReadOnlyList<AlertListItem>> ListAsync(AlertListFilter filter, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        var where = new List<string>();
        if (!string.IsNullOrWhiteSpace(filter.Q))
        {
            // Every version and language: a cancel's text quotes the headline, an update may have changed it.
            where.Add("""
                EXISTS (SELECT 1 FROM alert_versions w WHERE w.alert_id = a.id AND (
                    json_extract(w.document, '$.event') LIKE $q ESCAPE '\' OR json_extract(w.document, '$.areaName') LIKE $q ESCAPE '\'
                    OR EXISTS (SELECT 1 FROM json_each(w.document, '$.texts') t
                               WHERE json_extract(t.value, '$.headline') LIKE $q ESCAPE '\' OR json_extract(t.value, '$.body') LIKE $q ESCAPE '\'
                                  OR json_extract(t.value, '$.instruction') LIKE $q ESCAPE '\')))
                """);
            cmd.Parameters.AddWithValue("$q", "%" + filter.Q.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                .Replace("_", "\\_", StringComparison.Ordinal) + "%");
        }

        if (filter.Status is { } status)
        {
            where.Add("json_extract(v.document, '$.status') = $status");
            cmd.Parameters.AddWithValue("$status", status.ToString());
        }

        switch (filter.State)
        {
            case "issued" or "cancelled" or "ended":
                where.Add("a.state = $state");
                cmd.Parameters.AddWithValue("$state", filter.State);
                break;
            case "expired":
                where.Add("a.state = 'issued' AND v.expires_at IS NOT NULL AND julianday(v.expires_at) <= julianday($now)");
                break;
            case "active":
                where.Add("a.state = 'issued' AND (v.expires_at IS NULL OR julianday(v.expires_at) > julianday($now))");
                break;
        }

        cmd.Parameters.AddWithValue("$now", now.ToString("O"));
        AddTime("julianday(a.created_at) >= julianday($from)", "$from", filter.From);
        AddTime("julianday(a.created_at) <= julianday($to)", "$to", filter.To);
        AddTime("julianday(a.created_at) < julianday($before)", "$before", filter.Before);
        cmd.CommandText = $"""
            SELECT a.id, a.current_version, a.state, a.created_at, a.created_by, v.issued_at, v.expires_at, v.recipients, v.document,
                   {PeopleAndRepliesColumns}
            FROM alerts a JOIN alert_versions v ON v.alert_id = a.id AND v.version = a.current_version
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            ORDER BY a.created_at DESC LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$n", filter.Limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<AlertListItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var document = JsonSerializer.Deserialize<AlertDocument>(reader.GetString(8), Json.Options)!;
            var expires = reader.IsDBNull(6) ? (DateTimeOffset?)null : DateTimeOffset.Parse(reader.GetString(6));
            var state = reader.GetString(2);
            var text = document.Texts.GetValueOrDefault("ja") ?? document.Texts.Values.FirstOrDefault();
            var (author, approver, bypass) = People(reader, 9, reader.GetString(4));
            list.Add(new AlertListItem(reader.GetString(0), reader.GetInt32(1), state, state == "issued" && expires <= now,
                DateTimeOffset.Parse(reader.GetString(3)), DateTimeOffset.Parse(reader.GetString(5)), document.Status.ToString(), document.MsgType.ToString(),
                document.AllClear, document.Event, document.Severity.ToString(), text?.Headline, document.AreaName, expires, reader.GetInt32(7), author, approver,
                bypass is not null, reader.GetInt64(12), new SafetyCounts(reader.GetInt64(13), reader.GetInt64(14))));
        }

        return list;

        void AddTime(string condition, string name, DateTimeOffset? value)
        {
            if (value is { } v)
            {
                where.Add(condition);
                cmd.Parameters.AddWithValue(name, v.ToUniversalTime().ToString("O"));
            }
        }
    }

    /// <summary>Who wrote and approved one alert, and the 安否 replies to it.</summary>
    public async Task<(AlertProvenance Provenance, SafetyCounts Safety)?> PeopleAndRepliesAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT a.created_by, {PeopleAndRepliesColumns} FROM alerts a WHERE a.id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var (author, approver, bypass) = People(reader, 1, reader.GetString(0));
        return (new AlertProvenance(author, approver, bypass), new SafetyCounts(reader.GetInt64(5), reader.GetInt64(6)));
    }

    private static (string Author, string? Approver, string? BypassReason) People(SqliteDataReader reader, int first, string issuedBy) =>
        reader.IsDBNull(first)
            ? (issuedBy, null, reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2))
            : (reader.GetString(first), reader.IsDBNull(first + 1) ? null : reader.GetString(first + 1), null);

    /// <summary>Per channel: counts by state, first/last delivery, and issue→delivery p50/p95 over every version.</summary>
    public async Task<AlertDeliveryView> SummariseAsync(string id, CancellationToken cancellationToken)
    {
        var byChannel = new Dictionary<string, ChannelDeliverySummary>();
        var allLatencies = new List<long>();
        foreach (var group in (await outbox.VersionCountsAsync(id, cancellationToken)).GroupBy(c => c.Channel).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var d = group.Select(g => g.Delivery).ToList();
            var (latencies, first, last) = await outbox.LatenciesAsync(id, group.Key, cancellationToken);
            allLatencies.AddRange(latencies);
            byChannel[group.Key] = new ChannelDeliverySummary(d.Sum(x => x.Pending), d.Sum(x => x.Delivered), d.Sum(x => x.Failed - x.Gone - x.Expired),
                d.Sum(x => x.Gone), d.Sum(x => x.Expired), d.Sum(x => x.Superseded - x.Acknowledged), d.Sum(x => x.Acknowledged),
                first is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null, last is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
                Percentile(latencies, 0.50), Percentile(latencies, 0.95));
        }

        allLatencies.Sort();
        var v = byChannel.Values;
        var total = new ChannelDeliverySummary(v.Sum(s => s.Queued), v.Sum(s => s.Delivered), v.Sum(s => s.Failed), v.Sum(s => s.Gone),
            v.Sum(s => s.Expired), v.Sum(s => s.Superseded), v.Sum(s => s.Acknowledged), v.Min(s => s.FirstDelivery), v.Max(s => s.LastDelivery),
            Percentile(allLatencies, 0.50), Percentile(allLatencies, 0.95));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var acks = connection.CreateCommand();
        acks.CommandText = "SELECT COUNT(*) FROM alert_acks WHERE alert_id = $a";
        acks.Parameters.AddWithValue("$a", id);
        return new AlertDeliveryView(byChannel, total, (long)(await acks.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>The current version of the most recently issued alerts, newest first.</summary>
    public async Task<IReadOnlyList<AlertDocument>> ListCurrentVersionsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT v.document FROM alert_versions v JOIN alerts a ON a.id = v.alert_id AND a.current_version = v.version
            ORDER BY v.issued_at DESC LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$n", limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<AlertDocument>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(JsonSerializer.Deserialize<AlertDocument>(reader.GetString(0), Json.Options)!);
        }

        return list;
    }

    /// <summary>Records a resident's acknowledgement (idempotent). Returns false if the alert does not exist.</summary>
    public async Task<bool> AcknowledgeAsync(string alertId, Guid residentId, string via, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT OR IGNORE INTO alert_acks(alert_id, resident_id, at, via)
            SELECT id, $r, $at, $via FROM alerts WHERE id = $a;
            SELECT EXISTS(SELECT 1 FROM alerts WHERE id = $a);
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        cmd.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O"));
        cmd.Parameters.AddWithValue("$via", via);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    /// <summary>When the resident acknowledged each alert they acknowledged (the inbox keeps 受け取りました across reloads).</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> AcknowledgementsAsync(Guid residentId, CancellationToken cancellationToken)
    {
        var acks = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT alert_id, at FROM alert_acks WHERE resident_id = $r";
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            acks[reader.GetString(0)] = DateTimeOffset.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture);
        }

        return acks;
    }

    private static string StateOf(AlertDocument document) => document.MsgType == MsgType.Cancel ? "cancelled" : document.AllClear ? "ended" : "issued";

    /// <summary>Nearest-rank percentile over sorted values.</summary>
    internal static double? Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task<int> ExecAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
