using System.Collections.Concurrent;
using System.Text.Json;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Alerts;

/// <summary>How an alert version chooses its recipients in the outbox.</summary>
internal enum RecipientRule
{
    /// <summary>The targeted residents.</summary>
    Targeted,
    /// <summary>The targeted residents plus everyone any earlier version went to (an update).</summary>
    TargetedAndPrevious,
    /// <summary>
    /// Only (resident, channel) pairs an earlier version reached, is being sent to right now, or may have reached (a
    /// cancel, an all-clear). Rows still in flight are followed: the worker holds this version's row back until the
    /// earlier one is recorded, and drops it if that one never reached the address.
    /// </summary>
    PreviouslyDelivered,
}

/// <summary>Alerts (all versions) and their delivery work, written together so issuing is atomic.</summary>
internal sealed class AlertStore(Database database, TimeProvider time)
{
    private const int LargeFanOut = 50_000;

    private readonly ConcurrentDictionary<(string, int), AlertDocument> _versions = new();

    // The newest version of each alert this process has written or read: lets a worker skip, without a query, an
    // item whose alert moved on while its batch was being sent.
    private readonly ConcurrentDictionary<string, int> _heads = new();

    /// <summary>
    /// Stores a new version and, in the same transaction, its delivery work: one row per resident and channel
    /// (the resident's newest active endpoint on that channel), so a crash never leaves an issued alert without
    /// its outbox. Pending work of earlier versions is superseded: the new version reaches those people anyway.
    /// </summary>
    public async Task<(int Recipients, Dictionary<string, int> ByChannel)> InsertVersionAsync(
        AlertDocument document, RecipientRule rule, IReadOnlyList<Guid> targeted, IReadOnlyCollection<string> channels,
        IReadOnlyList<(string Channel, Guid TargetId)> broadcast, string actor, CancellationToken cancellationToken, string? approvingDraftId = null)
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        // The recipients go into this connection's temp table before the write lock is taken: the lock is held only
        // for the outbox insert itself.
        // A large fan-out touches more index pages than SQLite's default 2 MB cache holds: give this connection
        // 128 MB and hand it back afterwards (the connection goes back to the pool).
        var largeFanOut = targeted.Count > LargeFanOut;
        if (largeFanOut)
        {
            await ExecAsync(connection, null, "PRAGMA cache_size = -131072", cancellationToken);
        }

        await ExecAsync(connection, null, "CREATE TEMP TABLE IF NOT EXISTS recipients(id TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM recipients;", cancellationToken);
        // One statement for the whole list (a million single-row inserts would dominate the time to issue), in
        // SQLite's own key order: the temp B-tree is appended to instead of split at random, and the join below
        // then walks the endpoint index in order too. Together about 4× less work at a million recipients.
        await ExecAsync(connection, null, "INSERT OR IGNORE INTO recipients(id) SELECT value FROM json_each($ids)", cancellationToken,
            ("$ids", SortedIdArrayJson(targeted)));

        // Microsoft.Data.Sqlite begins IMMEDIATE: the write lock is taken first, so the draft and version checks below
        // see what is committed and no other writer slips in between a check and the insert.
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
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

        var channelsJson = JsonSerializer.Serialize(channels);
        string insertWork;
        switch (rule)
        {
            case RecipientRule.PreviouslyDelivered:
                insertWork = """
                    INSERT INTO delivery_work(alert_id, version, resident_id, channel, endpoint_id, priority, next_attempt_at, queued_at)
                    SELECT $a, $v, w.resident_id, w.channel, MAX(e.id), $p, $now, $now
                    FROM (SELECT DISTINCT resident_id, channel FROM delivery_work
                          WHERE alert_id = $a AND (state IN (1, 7) OR maybe_reached = 1)) w
                    JOIN resident_endpoints e ON e.resident_id = w.resident_id AND e.channel = w.channel AND e.state = 'active'
                    WHERE w.channel IN (SELECT value FROM json_each($channels))
                    GROUP BY w.resident_id, w.channel
                    """;
                break;
            case RecipientRule.Targeted or RecipientRule.TargetedAndPrevious when document.Escalation is { Channels.Length: > 0 }:
                if (rule == RecipientRule.TargetedAndPrevious)
                {
                    await ExecAsync(connection, tx, "INSERT OR IGNORE INTO recipients(id) SELECT DISTINCT resident_id FROM delivery_work WHERE alert_id = $a",
                        cancellationToken, ("$a", document.Id));
                }

                // Each resident's escalation channels in policy order: the first they have is due now, the next one step later, …
                insertWork = """
                    INSERT INTO delivery_work(alert_id, version, resident_id, channel, endpoint_id, priority, next_attempt_at, queued_at)
                    SELECT $a, $v, resident_id, channel, endpoint_id, $p,
                           $now + (ROW_NUMBER() OVER (PARTITION BY resident_id ORDER BY rank) - 1) * $step, $now
                    FROM (
                        SELECT e.resident_id, e.channel, MAX(e.id) AS endpoint_id, j.key AS rank
                        FROM recipients r JOIN resident_endpoints e ON e.resident_id = r.id
                        JOIN json_each($escalation) j ON j.value = e.channel
                        WHERE e.state = 'active' AND e.channel IN (SELECT value FROM json_each($channels))
                        GROUP BY e.resident_id, e.channel)
                    """;
                break;
            default:
                if (rule == RecipientRule.TargetedAndPrevious)
                {
                    await ExecAsync(connection, tx, "INSERT OR IGNORE INTO recipients(id) SELECT DISTINCT resident_id FROM delivery_work WHERE alert_id = $a",
                        cancellationToken, ("$a", document.Id));
                }

                insertWork = """
                    INSERT INTO delivery_work(alert_id, version, resident_id, channel, endpoint_id, priority, next_attempt_at, queued_at)
                    SELECT $a, $v, e.resident_id, e.channel, MAX(e.id), $p, $now, $now
                    FROM recipients r JOIN resident_endpoints e ON e.resident_id = r.id
                    WHERE e.state = 'active' AND e.channel IN (SELECT value FROM json_each($channels))
                    GROUP BY e.resident_id, e.channel
                    """;
                break;
        }

        await ExecAsync(connection, tx, insertWork, cancellationToken,
            ("$a", document.Id), ("$v", document.Version), ("$p", document.Priority), ("$now", nowMs), ("$channels", channelsJson),
            ("$escalation", JsonSerializer.Serialize(document.Escalation?.Channels ?? [])),
            ("$step", (long)TimeSpan.FromMinutes(document.Escalation?.StepMinutes ?? 5).TotalMilliseconds));
        foreach (var (channel, target) in broadcast)
        {
            // One row per account; a cancel is posted only where the alert itself was (or is being) posted.
            await ExecAsync(connection, tx, """
                INSERT OR IGNORE INTO delivery_work(alert_id, version, resident_id, channel, endpoint_id, priority, next_attempt_at, queued_at)
                SELECT $a, $v, $t, $c, NULL, $p, $now, $now
                WHERE $cancel = 0 OR EXISTS(SELECT 1 FROM delivery_work WHERE alert_id = $a AND resident_id = $t AND channel = $c
                                            AND (state IN (1, 7) OR maybe_reached = 1))
                """, cancellationToken, ("$a", document.Id), ("$v", document.Version), ("$t", target.ToString()), ("$c", channel), ("$p", document.Priority),
                ("$now", nowMs), ("$cancel", rule == RecipientRule.PreviouslyDelivered ? 1 : 0));
        }

        if (document.Version > 1)
        {
            // Only rows nobody has claimed: rows being sent (state 7) finish, and this version follows them.
            await ExecAsync(connection, tx, "UPDATE delivery_work SET state = 5, last_error = 'superseded by version ' || $v WHERE alert_id = $a AND version < $v AND state = 0",
                cancellationToken, ("$a", document.Id), ("$v", document.Version));
        }

        var byChannel = new Dictionary<string, int>();
        var recipients = 0;
        await using (var count = connection.CreateCommand())
        {
            count.Transaction = tx;
            count.CommandText = "SELECT channel, COUNT(*) FROM delivery_work WHERE alert_id = $a AND version = $v GROUP BY channel; " +
                                "SELECT COUNT(DISTINCT resident_id) FROM delivery_work WHERE alert_id = $a AND version = $v AND endpoint_id IS NOT NULL;";
            count.Parameters.AddWithValue("$a", document.Id);
            count.Parameters.AddWithValue("$v", document.Version);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                byChannel[reader.GetString(0)] = reader.GetInt32(1);
            }

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            recipients = reader.GetInt32(0);
        }

        await ExecAsync(connection, tx, """
            INSERT INTO alert_versions(alert_id, version, msg_type, issued_at, expires_at, priority, recipients, document)
            VALUES ($a, $v, $type, $at, $exp, $p, $n, $doc)
            """, cancellationToken, ("$a", document.Id), ("$v", document.Version), ("$type", document.MsgType.ToString()),
            ("$at", document.Sent.ToString("O")), ("$exp", document.Expires?.ToString("O")), ("$p", document.Priority), ("$n", recipients),
            ("$doc", JsonSerializer.Serialize(document, Json.Options)));
        await ExecAsync(connection, tx, "INSERT INTO audit_log(at, actor, action, target, detail) VALUES ($at, $actor, $action, $target, $detail)",
            cancellationToken, ("$at", time.GetUtcNow().ToString("O")), ("$actor", actor), ("$action", "alerts." + document.MsgType.ToString().ToLowerInvariant()),
            ("$target", $"{document.Id}#{document.Version}"), ("$detail", $"{document.Status} {document.Event}: {recipients} recipients"));
        await tx.CommitAsync(cancellationToken);
        if (largeFanOut)
        {
            await using var shrink = connection.CreateCommand();
            shrink.CommandText = "PRAGMA cache_size = -2000";
            await shrink.ExecuteNonQueryAsync(CancellationToken.None);
        }

        _versions[(document.Id, document.Version)] = document;
        _heads.AddOrUpdate(document.Id, document.Version, (_, known) => Math.Max(known, document.Version));
        return (recipients, byChannel);
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
        cmd.CommandText = "SELECT version, msg_type, issued_at, expires_at, recipients FROM alert_versions WHERE alert_id = $a ORDER BY version";
        cmd.Parameters.AddWithValue("$a", id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<VersionSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new VersionSummary(reader.GetInt32(0), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2)),
                reader.IsDBNull(3) ? null : DateTimeOffset.Parse(reader.GetString(3)), reader.GetInt32(4)));
        }

        await reader.DisposeAsync();
        var byVersion = new Dictionary<int, Dictionary<string, VersionDelivery>>();
        await using (var counts = connection.CreateCommand())
        {
            counts.CommandText = """
                SELECT version, channel, COUNT(*), SUM(state = 1), SUM(state IN (0, 7)), SUM(state = 7), SUM(state IN (2, 3, 4)), SUM(state = 3),
                       SUM(state = 4), SUM(state IN (5, 6)), SUM(state = 6)
                FROM delivery_work WHERE alert_id = $a GROUP BY version, channel ORDER BY version, channel
                """;
            counts.Parameters.AddWithValue("$a", id);
            await using var rows = await counts.ExecuteReaderAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                var version = rows.GetInt32(0);
                if (!byVersion.TryGetValue(version, out var channels))
                {
                    byVersion[version] = channels = new Dictionary<string, VersionDelivery>();
                }

                channels[rows.GetString(1)] = new VersionDelivery(rows.GetInt64(2), rows.GetInt64(3), rows.GetInt64(4), rows.GetInt64(5), rows.GetInt64(6),
                    rows.GetInt64(7), rows.GetInt64(8), rows.GetInt64(9), rows.GetInt64(10));
            }
        }

        return [.. list.Select(v => byVersion.TryGetValue(v.Version, out var channels)
            ? v with { Delivery = Sum(channels.Values), DeliveryByChannel = channels }
            : v with { Delivery = new VersionDelivery(0, 0, 0, 0, 0, 0, 0, 0, 0), DeliveryByChannel = new Dictionary<string, VersionDelivery>() })];
    }

    private static VersionDelivery Sum(IEnumerable<VersionDelivery> parts) => parts.Aggregate(new VersionDelivery(0, 0, 0, 0, 0, 0, 0, 0, 0),
        (a, b) => new VersionDelivery(a.Targeted + b.Targeted, a.Delivered + b.Delivered, a.Pending + b.Pending, a.Sending + b.Sending,
            a.Failed + b.Failed, a.Gone + b.Gone, a.Expired + b.Expired, a.Superseded + b.Superseded, a.Acknowledged + b.Acknowledged));

    public async Task<IReadOnlyList<(string Id, int Version, string State, DateTimeOffset CreatedAt)>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, current_version, state, created_at FROM alerts ORDER BY created_at DESC LIMIT $n";
        cmd.Parameters.AddWithValue("$n", limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<(string, int, string, DateTimeOffset)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3))));
        }

        return list;
    }

    /// <summary>Per channel: counts by state, first/last delivery, and issue→delivery p50/p95 over every version.</summary>
    public async Task<AlertDeliveryView> SummariseAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var byChannel = new Dictionary<string, ChannelDeliverySummary>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT channel, COUNT(*), SUM(state IN (0, 7)), SUM(state = 1), SUM(state = 2), SUM(state = 3), SUM(state = 4), SUM(state = 5),
                       MIN(delivered_at), MAX(delivered_at), SUM(state = 6)
                FROM delivery_work WHERE alert_id = $a GROUP BY channel ORDER BY channel
                """;
            cmd.Parameters.AddWithValue("$a", id);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                byChannel[reader.GetString(0)] = new ChannelDeliverySummary(reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
                    reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(10), Ms(reader, 8), Ms(reader, 9), null, null);
            }
        }

        var allLatencies = new List<long>();
        foreach (var channel in byChannel.Keys.ToList())
        {
            var latencies = new List<long>();
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT delivered_at - queued_at FROM delivery_work WHERE alert_id = $a AND channel = $c AND state = 1 ORDER BY 1";
            cmd.Parameters.AddWithValue("$a", id);
            cmd.Parameters.AddWithValue("$c", channel);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                latencies.Add(reader.GetInt64(0));
            }

            allLatencies.AddRange(latencies);
            byChannel[channel] = byChannel[channel] with { P50Ms = Percentile(latencies, 0.50), P95Ms = Percentile(latencies, 0.95) };
        }

        allLatencies.Sort();
        var v = byChannel.Values;
        var total = new ChannelDeliverySummary(v.Sum(s => s.Queued), v.Sum(s => s.Delivered), v.Sum(s => s.Failed), v.Sum(s => s.Gone),
            v.Sum(s => s.Expired), v.Sum(s => s.Superseded), v.Sum(s => s.Acknowledged), v.Min(s => s.FirstDelivery), v.Max(s => s.LastDelivery),
            Percentile(allLatencies, 0.50), Percentile(allLatencies, 0.95));
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

    private static string StateOf(AlertDocument document) => document.MsgType == MsgType.Cancel ? "cancelled" : document.AllClear ? "ended" : "issued";

    private static DateTimeOffset? Ms(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    /// <summary>Nearest-rank percentile over sorted values.</summary>
    internal static double? Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>
    /// The ids as a JSON array of "D"-format strings in ascending text order, built without a string per id: a
    /// million ids are sorted as <see cref="Guid"/>s (whose comparison follows the text order of that format)
    /// and formatted straight into one string.
    /// </summary>
    internal static string SortedIdArrayJson(IReadOnlyList<Guid> ids)
    {
        if (ids.Count == 0)
        {
            return "[]";
        }

        var sorted = ids.ToArray();
        Array.Sort(sorted);
        const int quoted = 36 + 2;
        return string.Create(2 + (sorted.Length * (quoted + 1)) - 1, sorted, static (span, sorted) =>
        {
            span[0] = '[';
            var at = 1;
            foreach (var id in sorted)
            {
                if (at > 1)
                {
                    span[at++] = ',';
                }

                span[at++] = '"';
                id.TryFormat(span[at..], out var written, "D");
                at += written;
                span[at++] = '"';
            }

            span[at] = ']';
        });
    }

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
