using System.Text;
using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The outbox in the embedded SQLite store (the contract is <see cref="IOutboxStore"/>).</summary>
internal sealed class SqliteOutboxStore(Database database) : IOutboxStore
{
    private const int ClaimCandidates = 64;

    // ---- Queueing ----------------------------------------------------------------------------------------

    /// <summary>
    /// Queues one version inside the caller's transaction: items per channel (and escalation step), the running
    /// counts, and, for an update, cancel or all-clear, the recipients its rule takes from earlier versions. Pending
    /// items of earlier versions are superseded; items being sent finish, and this version follows them.
    /// </summary>
    public async Task<(int Recipients, Dictionary<string, int> ByChannel)> EnqueueAsync(IStoreTransaction transaction, OutboxEnqueue q,
        CancellationToken cancellationToken)
    {
        var (connection, tx) = (SqliteStoreTransaction.Of(transaction).Connection, SqliteStoreTransaction.Of(transaction).Transaction);
        var (members, recipients) = await OutboxPlanning.SelectMembersAsync(q,
            () => ReachedPairsAsync(connection, tx, q.AlertId, q.Version, cancellationToken),
            () => EarlierResidentsAsync(connection, tx, q.AlertId, q.Version, cancellationToken));
        if (q.Version > 1 && !q.Append)
        {
            await SupersedePendingAsync(connection, tx, q.AlertId, q.Version, cancellationToken);
        }

        var byChannel = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO outbox_items(alert_id, version, channel, priority, state, next_attempt_at, queued_at, size, members, indexed)
            VALUES ($a, $v, $c, $p, 0, $next, $now, $size, $members, $indexed) RETURNING id
            """;
        var pChannel = insert.Parameters.Add("$c", SqliteType.Text);
        var pNext = insert.Parameters.Add("$next", SqliteType.Integer);
        var pSize = insert.Parameters.Add("$size", SqliteType.Integer);
        var pMembers = insert.Parameters.Add("$members", SqliteType.Text);
        var pIndexed = insert.Parameters.Add("$indexed", SqliteType.Integer);
        insert.Parameters.AddWithValue("$a", q.AlertId);
        insert.Parameters.AddWithValue("$v", q.Version);
        insert.Parameters.AddWithValue("$p", q.Priority);
        insert.Parameters.AddWithValue("$now", q.NowMs);
        var total = members.Values.Sum(m => m.Count);
        var indexInline = OutboxPlanning.IndexesInline(q, total);
        var toIndex = new List<(long Item, List<Guid> Members)>();
        foreach (var (channel, step, chunk) in OutboxPlanning.Chunks(q, members))
        {
            pChannel.Value = channel;
            var due = q.NowMs + (step * q.EscalationStepMs);
            pNext.Value = due;
            pSize.Value = chunk.Count;
            pMembers.Value = MembersJson(chunk);
            var index = OutboxPlanning.MustIndex(indexInline, due, q.NowMs);
            pIndexed.Value = index ? 1 : 0;
            var item = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
            if (index)
            {
                toIndex.Add((item, chunk));
            }

            byChannel[channel] = byChannel.GetValueOrDefault(channel) + chunk.Count;
        }

        await IndexMembersAsync(connection, tx, toIndex, cancellationToken);
        foreach (var (channel, count) in byChannel)
        {
            await ExecAsync(connection, tx, """
                INSERT INTO outbox_counts(alert_id, version, channel, queued_at, targeted) VALUES ($a, $v, $c, $now, $n)
                ON CONFLICT(alert_id, version, channel) DO UPDATE SET targeted = targeted + excluded.targeted
                """, cancellationToken, ("$a", q.AlertId), ("$v", q.Version), ("$c", channel), ("$now", q.NowMs), ("$n", count));
        }

        return (recipients, byChannel);
    }

    /// <summary>
    /// (channel → residents) that an earlier version of the alert reached, is being sent to, or may have reached (a failed
    /// attempt that may still have arrived, or an item whose worker died mid-send).
    /// </summary>
    private static async Task<Dictionary<string, HashSet<Guid>>> ReachedPairsAsync(SqliteConnection connection, SqliteTransaction? tx, string alertId,
        int version, CancellationToken cancellationToken)
    {
        var pairs = new Dictionary<string, HashSet<Guid>>(StringComparer.OrdinalIgnoreCase);
        void Add(string channel, Guid resident) => (pairs.TryGetValue(channel, out var set) ? set : pairs[channel] = []).Add(resident);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                SELECT DISTINCT channel, resident_id FROM outbox_receipts INDEXED BY ix_receipts_alert
                WHERE alert_id = $a AND version < $v AND (outcome = 1 OR maybe_reached = 1)
                """;
            cmd.Parameters.AddWithValue("$a", alertId);
            cmd.Parameters.AddWithValue("$v", version);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                Add(reader.GetString(0), Guid.Parse(reader.GetString(1)));
            }
        }

        foreach (var (channel, member) in await UnrecordedMembersAsync(connection, tx, alertId, version, "(i.state = 7 OR i.maybe_sent = 1)", cancellationToken))
        {
            Add(channel, member);
        }

        return pairs;
    }

    /// <summary>Members (channel, resident) of earlier-version items matching <paramref name="where"/> whose outcome is not recorded yet.</summary>
    private static async Task<List<(string Channel, Guid Resident)>> UnrecordedMembersAsync(SqliteConnection connection, SqliteTransaction? tx,
        string alertId, int version, string where, CancellationToken cancellationToken)
    {
        var list = new List<(string, Guid)>();
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            SELECT i.channel, j.value FROM outbox_items i INDEXED BY ix_items_alert, json_each(i.members) j
            WHERE i.alert_id = $a AND i.version < $v AND {where}
              AND NOT EXISTS (SELECT 1 FROM outbox_receipts r INDEXED BY ix_receipts_item WHERE r.item_id = i.id AND r.member = j.key)
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$v", version);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((reader.GetString(0), Guid.Parse(reader.GetString(1))));
        }

        return list;
    }

    /// <summary>The (channel, member) pairs already queued for a version (to finish queueing one that stopped part way).</summary>
    public async Task<HashSet<(string Channel, Guid Member)>> QueuedMembersAsync(string alertId, int version, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT channel, members FROM outbox_items INDEXED BY ix_items_alert WHERE alert_id = $a AND version = $v";
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$v", version);
        return await OutboxRows.QueuedMembersAsync(cmd, cancellationToken);
    }

    /// <summary>Everyone any earlier version of the alert was queued for (an update reaches them all again).</summary>
    private static async Task<List<Guid>> EarlierResidentsAsync(SqliteConnection connection, SqliteTransaction? tx, string alertId, int version,
        CancellationToken cancellationToken)
    {
        var list = new List<Guid>();
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            SELECT DISTINCT j.value FROM outbox_items i INDEXED BY ix_items_alert, json_each(i.members) j WHERE i.alert_id = $a AND i.version < $v
            UNION SELECT resident_id FROM outbox_receipts INDEXED BY ix_receipts_alert WHERE alert_id = $a AND version < $v AND item_id < 0
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$v", version);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Guid.Parse(reader.GetString(0)));
        }

        return list;
    }

    /// <summary>Pending items of earlier versions are not sent: the newer version reaches those people.</summary>
    private static async Task SupersedePendingAsync(SqliteConnection connection, SqliteTransaction tx, string alertId, int version, CancellationToken cancellationToken)
    {
        await ExecAsync(connection, tx, """
            UPDATE outbox_counts SET superseded = superseded + s.n
            FROM (SELECT version, channel, SUM(size - recorded) AS n FROM outbox_items INDEXED BY ix_items_alert
                  WHERE alert_id = $a AND version < $v AND state = 0 GROUP BY version, channel) AS s
            WHERE outbox_counts.alert_id = $a AND outbox_counts.version = s.version AND outbox_counts.channel = s.channel;
            UPDATE outbox_items SET state = 5 WHERE alert_id = $a AND version < $v AND state = 0;
            """, cancellationToken, ("$a", alertId), ("$v", version));
    }

    /// <summary>
    /// Large fan-outs are indexed by resident after they are queued (the inbox of a not-yet-attempted resident waits for
    /// it): items queued before <paramref name="queuedBeforeMs"/>, so the first seconds of a fan-out belong to sending.
    /// </summary>
    public async Task<int> IndexPendingMembersAsync(int maxItems, long queuedBeforeMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var items = new List<(long Item, List<Guid> Members)>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT id, members FROM outbox_items INDEXED BY ix_items_unindexed WHERE indexed = 0 AND queued_at < $before ORDER BY id LIMIT $n";
            cmd.Parameters.AddWithValue("$n", maxItems);
            cmd.Parameters.AddWithValue("$before", queuedBeforeMs);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add((reader.GetInt64(0), OutboxRows.ParseMembers(reader.GetString(1))));
            }
        }

        if (items.Count == 0)
        {
            return 0;
        }

        using var writing = await database.WriteLockAsync(WriterKind.Background, cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await IndexMembersAsync(connection, tx, items, cancellationToken);
        await ExecAsync(connection, tx, "UPDATE outbox_items SET indexed = 1 WHERE id IN (SELECT value FROM json_each($ids))", cancellationToken,
            ("$ids", JsonSerializer.Serialize(items.Select(i => i.Item))));
        await tx.CommitAsync(cancellationToken);
        return items.Count;
    }

    private static async Task IndexMembersAsync(SqliteConnection connection, SqliteTransaction tx, List<(long Item, List<Guid> Members)> items,
        CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return;
        }

        // Sorted by resident: the index B-tree is appended to rather than split at random. One prepared statement
        // stepped per pair (binding two values is cheaper than SQLite parsing them back out of JSON).
        var pairs = items.SelectMany(i => i.Members.Select(m => (Resident: m, i.Item))).OrderBy(p => p.Resident).ToList();
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT OR IGNORE INTO outbox_members(resident_id, item_id) VALUES ($r, $i)";
        var pResident = insert.Parameters.Add("$r", SqliteType.Text);
        var pItem = insert.Parameters.Add("$i", SqliteType.Integer);
        foreach (var (resident, item) in pairs)
        {
            pResident.Value = resident.ToString("D");
            pItem.Value = item;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    // ---- Claiming and sending ----------------------------------------------------------------------------

    /// <summary>
    /// Claims due items of a channel in priority order, up to about <paramref name="limit"/> members: marks them Sending
    /// for <paramref name="claimant"/> until <paramref name="leaseUntilMs"/> and returns their unrecorded members with the
    /// endpoint and language to send to. An item waits while an older version's item of the same alert and channel is
    /// being sent.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, string claimant, long leaseUntilMs,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        List<ClaimedItem> items;
        using (await database.WriteLockAsync(WriterKind.Background, cancellationToken))
        await using (var claim = connection.CreateCommand())
        {
            // One statement: SQLite runs it under one write lock, so two claimers never take the same item, and a new
            // version's transaction sees each item either pending (and supersedes it) or being sent (and follows it).
            claim.CommandText = $"""
                UPDATE outbox_items SET state = 7, claimed_by = $claimant, lease_until = $lease
                WHERE id IN (
                    SELECT id FROM (
                        SELECT id, SUM(n) OVER (ORDER BY priority DESC, id ROWS UNBOUNDED PRECEDING) - n AS before
                        FROM (SELECT i.id, i.priority, i.size - i.recorded AS n FROM outbox_items i INDEXED BY ix_items_due
                              WHERE i.channel = $channel AND i.state = 0 AND i.next_attempt_at <= $now
                                AND (i.version = 1 OR NOT EXISTS (
                                    SELECT 1 FROM outbox_items p INDEXED BY ix_items_alert
                                    WHERE p.alert_id = i.alert_id AND p.version < i.version AND p.channel = i.channel AND p.state = 7))
                              ORDER BY i.priority DESC, i.id LIMIT {ClaimCandidates}))
                    WHERE before < $limit)
                RETURNING id, alert_id, version, queued_at, members, attempts, throttles, recorded, priority
                """;
            claim.Parameters.AddWithValue("$channel", channel);
            claim.Parameters.AddWithValue("$now", nowMs);
            claim.Parameters.AddWithValue("$limit", limit);
            claim.Parameters.AddWithValue("$claimant", claimant);
            claim.Parameters.AddWithValue("$lease", leaseUntilMs);
            items = await claim.ListAsync(OutboxRows.Claimed, cancellationToken);
        }

        return await OutboxPlanning.ClaimsAsync(items, partly => RecordedMembersAsync(connection, null, partly, cancellationToken));
    }

    /// <summary>The members of these items that have a receipt, as work ids.</summary>
    private static async Task<HashSet<long>> RecordedMembersAsync(SqliteConnection connection, SqliteTransaction? tx, long[] itemIds,
        CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT item_id, member FROM outbox_receipts INDEXED BY ix_receipts_item WHERE item_id IN (SELECT value FROM json_each($ids))";
        cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(itemIds));
        return await OutboxRows.WorkIdsAsync(cmd, cancellationToken);
    }

    /// <summary>
    /// Of the given claimed members, those that must not be sent any more: a newer version of their alert exists (it
    /// reaches the same people), or — for <paramref name="followUps"/>, the members of a retraction (cancel, all-clear)
    /// — no earlier version ever reached or may have reached that (resident, channel).
    /// </summary>
    public async Task<(IReadOnlySet<long> Stale, IReadOnlySet<long> NeverReached)> CheckBeforeSendAsync(IReadOnlyCollection<long> ids,
        IReadOnlyCollection<long> followUps, CancellationToken cancellationToken)
    {
        var neverReached = new HashSet<long>();
        if (ids.Count == 0)
        {
            return (new HashSet<long>(), neverReached);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        Dictionary<long, CheckedItem> items;
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT i.id, i.alert_id, i.version, i.channel, i.members, a.current_version > i.version
                FROM outbox_items i JOIN alerts a ON a.id = i.alert_id WHERE i.id IN (SELECT value FROM json_each($ids))
                """;
            cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids.Select(WorkIds.Item).Distinct()));
            items = (await cmd.ListAsync(OutboxRows.Checked, cancellationToken)).ToDictionary(i => i.Id, i => i.Item);
        }

        var stale = OutboxPlanning.Stale(ids, items);
        foreach (var (item, group) in OutboxPlanning.FollowUps(followUps, stale, items))
        {
            var reached = new HashSet<Guid>();
            await using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = """
                    SELECT DISTINCT resident_id FROM outbox_receipts INDEXED BY ix_receipts_alert
                    WHERE alert_id = $a AND channel = $c AND resident_id IN (SELECT value FROM json_each($r)) AND version < $v
                      AND (outcome = 1 OR maybe_reached = 1)
                    """;
                cmd.Parameters.AddWithValue("$a", item.Alert);
                cmd.Parameters.AddWithValue("$c", item.Channel);
                cmd.Parameters.AddWithValue("$v", item.Version);
                cmd.Parameters.AddWithValue("$r", MembersJson(OutboxPlanning.Residents(item, group)));
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    reached.Add(Guid.Parse(reader.GetString(0)));
                }
            }

            foreach (var (channel, member) in await UnrecordedMembersAsync(connection, null, item.Alert, item.Version, "(i.state = 7 OR i.maybe_sent = 1)",
                cancellationToken))
            {
                if (string.Equals(channel, item.Channel, StringComparison.OrdinalIgnoreCase))
                {
                    reached.Add(member);
                }
            }

            OutboxPlanning.AddNeverReached(item, group, reached, neverReached);
        }

        return (stale, neverReached);
    }

    // ---- Recording -----------------------------------------------------------------------------------------

    /// <summary>
    /// Records outcomes of members of items <paramref name="claimant"/> holds, in one transaction: a receipt per attempt,
    /// the running counts, retry items for members to try again (a member that would be retried while a newer version
    /// exists is superseded instead: the newer version reaches that resident, and the old text must never arrive after
    /// it), and items whose members are all recorded are done. Unsent members put their item back to pending. Returns
    /// how many outcomes were recorded (those of items whose lease was lost to another claimant are not).
    /// </summary>
    public Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken) =>
        RecordAsync(outcomes, claimant, nowMs, skipRecorded: false, cancellationToken);

    /// <summary>Records again after a failure that may have committed (see <see cref="IOutboxStore.RecordAgainAsync"/>).</summary>
    public Task<int> RecordAgainAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken) =>
        RecordAsync(outcomes, claimant, nowMs, skipRecorded: true, cancellationToken);

    private async Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, bool skipRecorded, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return 0;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        using var writing = await database.WriteLockAsync(WriterKind.Background, cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        Dictionary<long, HeldItem> items;
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                SELECT i.id, i.alert_id, i.version, i.channel, i.priority, i.queued_at, i.members, COALESCE(a.current_version, i.version)
                FROM outbox_items i LEFT JOIN alerts a ON a.id = i.alert_id
                WHERE i.id IN (SELECT value FROM json_each($ids)) AND i.state = 7 AND i.claimed_by = $claimant
                """;
            cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(outcomes.Select(o => WorkIds.Item(o.Id)).Distinct()));
            cmd.Parameters.AddWithValue("$claimant", claimant);
            items = (await cmd.ListAsync(OutboxRows.Held, cancellationToken)).ToDictionary(i => i.Id, i => i.Item);
        }

        if (skipRecorded && items.Count > 0)
        {
            outcomes = OutboxPlanning.WithoutRecorded(outcomes, await RecordedMembersAsync(connection, tx, [.. items.Keys], cancellationToken));
        }

        var plan = OutboxPlanning.PlanOutcomes(outcomes, items);
        var recorded = plan.Receipts.Count;
        if (recorded > 0)
        {
            // One prepared statement stepped per receipt: binding nine values costs less than SQLite parsing them back
            // out of a JSON array with json_extract (which was half of the recording time).
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT INTO outbox_receipts(item_id, member, alert_id, version, channel, resident_id, outcome, at, queued_at, attempts, error, maybe_reached, throttled)
                VALUES ($item, $member, $alert, $version, $channel, $resident, $outcome, $at, $queued, $attempts, $error, $reached, $throttled)
                """;
            var pItem = insert.Parameters.Add("$item", SqliteType.Integer);
            var pMember = insert.Parameters.Add("$member", SqliteType.Integer);
            var pAlert = insert.Parameters.Add("$alert", SqliteType.Text);
            var pVersion = insert.Parameters.Add("$version", SqliteType.Integer);
            var pChannel = insert.Parameters.Add("$channel", SqliteType.Text);
            var pResident = insert.Parameters.Add("$resident", SqliteType.Text);
            var pOutcome = insert.Parameters.Add("$outcome", SqliteType.Integer);
            var pAt = insert.Parameters.Add("$at", SqliteType.Integer);
            var pQueued = insert.Parameters.Add("$queued", SqliteType.Integer);
            var pAttempts = insert.Parameters.Add("$attempts", SqliteType.Integer);
            var pError = insert.Parameters.Add("$error", SqliteType.Text);
            var pReached = insert.Parameters.Add("$reached", SqliteType.Integer);
            var pThrottled = insert.Parameters.Add("$throttled", SqliteType.Integer);
            foreach (var r in plan.Receipts)
            {
                var item = items[r.Item];
                pItem.Value = r.Item;
                pMember.Value = r.Member;
                pAlert.Value = item.Alert;
                pVersion.Value = item.Version;
                pChannel.Value = item.Channel;
                pResident.Value = r.Resident.ToString("D");
                pOutcome.Value = r.Outcome;
                pAt.Value = r.DeliveredAtMs > 0 ? r.DeliveredAtMs : nowMs;
                pQueued.Value = item.QueuedAt;
                pAttempts.Value = r.Attempts;
                pError.Value = (object?)r.Error ?? DBNull.Value;
                pReached.Value = r.MayHaveReached ? 1 : 0;
                pThrottled.Value = r.Throttled ? 1 : 0;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        foreach (var (itemId, n) in plan.PerItem)
        {
            await ExecAsync(connection, tx, """
                UPDATE outbox_items SET recorded = recorded + $n,
                    state = CASE WHEN recorded + $n >= size THEN 1 ELSE state END,
                    lease_until = CASE WHEN recorded + $n >= size THEN NULL ELSE lease_until END
                WHERE id = $id
                """, cancellationToken, ("$id", itemId), ("$n", n));
        }

        foreach (var (itemId, mayHaveReached) in plan.Released)
        {
            // Back to pending for any claimer; members recorded meanwhile are skipped when it is claimed again.
            await ExecAsync(connection, tx, """
                UPDATE outbox_items SET state = CASE WHEN recorded >= size THEN 1 ELSE 0 END, lease_until = NULL, maybe_sent = maybe_sent | $reached
                WHERE id = $id AND state = 7
                """, cancellationToken, ("$id", itemId), ("$reached", mayHaveReached ? 1 : 0));
        }

        foreach (var ((alert, version, channel), c) in plan.Counts)
        {
            await ExecAsync(connection, tx, """
                UPDATE outbox_counts SET delivered = delivered + $d, failed = failed + $f, gone = gone + $g, expired = expired + $e,
                    superseded = superseded + $s, acknowledged = acknowledged + $k
                WHERE alert_id = $a AND version = $v AND channel = $c
                """, cancellationToken, ("$a", alert), ("$v", version), ("$c", channel), ("$d", c[WorkState.Delivered]), ("$f", c[WorkState.Failed]),
                ("$g", c[WorkState.Gone]), ("$e", c[WorkState.Expired]), ("$s", c[WorkState.Superseded]), ("$k", c[WorkState.Acknowledged]));
        }

        if (plan.Retries.Count > 0)
        {
            await InsertRetriesAsync(connection, tx, plan.Retries, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return recorded;
    }

    /// <summary>Members to try again become new items (with each member's attempt and throttle counts), indexed by resident
    /// so an acknowledgement or a reconnecting SignalR client finds them.</summary>
    private static async Task InsertRetriesAsync(SqliteConnection connection, SqliteTransaction tx,
        Dictionary<RetryKey, List<RetryMember>> retries,
        CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO outbox_items(alert_id, version, channel, priority, state, next_attempt_at, queued_at, size, members, attempts, throttles, indexed)
            VALUES ($a, $v, $c, $p, 0, $due, $queued, $size, $members, $attempts, $throttles, 1) RETURNING id
            """;
        var index = new List<(long, List<Guid>)>();
        foreach (var ((alert, version, channel, priority, queuedAt, due), members) in retries)
        {
            foreach (var chunk in members.Chunk(WorkIds.MaxMembers))
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$a", alert);
                insert.Parameters.AddWithValue("$v", version);
                insert.Parameters.AddWithValue("$c", channel);
                insert.Parameters.AddWithValue("$p", priority);
                insert.Parameters.AddWithValue("$due", due);
                insert.Parameters.AddWithValue("$queued", queuedAt);
                insert.Parameters.AddWithValue("$size", chunk.Length);
                insert.Parameters.AddWithValue("$members", MembersJson(chunk.Select(c => c.Member)));
                insert.Parameters.AddWithValue("$attempts", JsonSerializer.Serialize(chunk.Select(c => c.Attempts)));
                insert.Parameters.AddWithValue("$throttles", JsonSerializer.Serialize(chunk.Select(c => c.Throttles)));
                var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
                index.Add((id, [.. chunk.Select(c => c.Member)]));
            }
        }

        await IndexMembersAsync(connection, tx, index, cancellationToken);
    }

    /// <summary>
    /// Claims whose lease ran out (their claimant died or hung) become pending again, due now, for any worker to claim;
    /// with <paramref name="exceptClaimant"/>, every claim not held by that claimant (a single-node store at start-up:
    /// claims of an earlier process are dead). Their members may have been sent: a retraction follows them, and
    /// receivers dedupe on the delivery id. Returns how many items were released.
    /// </summary>
    public async Task<int> ReleaseExpiredClaimsAsync(long nowMs, string? exceptClaimant, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = exceptClaimant is null
            ? "UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = MIN(next_attempt_at, $now), maybe_sent = 1 WHERE state = 7 AND lease_until < $now"
            : "UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = MIN(next_attempt_at, $now), maybe_sent = 1 WHERE state = 7 AND claimed_by IS NOT $me";
        cmd.Parameters.AddWithValue("$now", nowMs);
        cmd.Parameters.AddWithValue("$me", (object?)exceptClaimant ?? DBNull.Value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Claims of nodes declared dead become pending again (see <see cref="IOutboxStore.ReleaseClaimsOfAsync"/>).</summary>
    public async Task<int> ReleaseClaimsOfAsync(IReadOnlyCollection<string> claimants, long nowMs, CancellationToken cancellationToken)
    {
        if (claimants.Count == 0)
        {
            return 0;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = MIN(next_attempt_at, $now), maybe_sent = 1
            WHERE state = 7 AND claimed_by IN (SELECT value FROM json_each($claimants))
            """;
        cmd.Parameters.AddWithValue("$now", nowMs);
        cmd.Parameters.AddWithValue("$claimants", System.Text.Json.JsonSerializer.Serialize(claimants));
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A node's own claims on one channel become pending again (see <see cref="IOutboxStore.ReleaseOwnClaimsAsync"/>).</summary>
    public async Task<int> ReleaseOwnClaimsAsync(string claimant, string channel, long nowMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = MIN(next_attempt_at, $now), maybe_sent = 1
            WHERE state = 7 AND claimed_by = $me AND channel = $channel
            """;
        cmd.Parameters.AddWithValue("$now", nowMs);
        cmd.Parameters.AddWithValue("$me", claimant);
        cmd.Parameters.AddWithValue("$channel", channel);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, int>> ClaimsByClaimantAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT claimed_by, COUNT(*) FROM outbox_items WHERE state = 7 AND claimed_by IS NOT NULL GROUP BY claimed_by";
        return await OutboxRows.ReadClaimCountsAsync(cmd, cancellationToken);
    }

    /// <summary>Makes a resident's waiting work on a channel due now (a SignalR client just subscribed).</summary>
    public async Task<int> ReleaseAsync(Guid residentId, string channel, long nowMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            UPDATE outbox_items SET next_attempt_at = $now
            WHERE id IN (SELECT item_id FROM outbox_members WHERE resident_id = $r) AND channel = $c AND state = 0 AND next_attempt_at > $now
            """;
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        cmd.Parameters.AddWithValue("$c", channel);
        cmd.Parameters.AddWithValue("$now", nowMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stops a resident's waiting work for an alert (they acknowledged it): the rest of their escalation steps.
    /// Returns how many (resident, channel) deliveries stopped.</summary>
    public async Task<int> StopForAcknowledgementAsync(string alertId, Guid residentId, long nowMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var stopped = new List<(long Item, int Member, int Version, string Channel)>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                SELECT i.id, j.key, i.version, i.channel FROM outbox_members m JOIN outbox_items i ON i.id = m.item_id, json_each(i.members) j
                WHERE m.resident_id = $r AND i.alert_id = $a AND i.state = 0 AND j.value = $r
                  AND NOT EXISTS (SELECT 1 FROM outbox_receipts x INDEXED BY ix_receipts_item WHERE x.item_id = i.id AND x.member = j.key)
                """;
            cmd.Parameters.AddWithValue("$a", alertId);
            cmd.Parameters.AddWithValue("$r", residentId.ToString());
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stopped.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3)));
            }
        }

        foreach (var (item, member, version, channel) in stopped)
        {
            await ExecAsync(connection, tx, """
                INSERT INTO outbox_receipts(item_id, member, alert_id, version, channel, resident_id, outcome, at, queued_at, attempts, error)
                SELECT id, $m, alert_id, version, channel, $r, 6, $now, queued_at, 0, 'acknowledged' FROM outbox_items WHERE id = $id;
                UPDATE outbox_items SET recorded = recorded + 1, state = CASE WHEN recorded + 1 >= size THEN 1 ELSE state END WHERE id = $id;
                UPDATE outbox_counts SET acknowledged = acknowledged + 1 WHERE alert_id = $a AND version = $v AND channel = $c;
                """, cancellationToken, ("$id", item), ("$m", member), ("$r", residentId.ToString()), ("$now", nowMs),
                ("$a", alertId), ("$v", version), ("$c", channel));
        }

        await tx.CommitAsync(cancellationToken);
        return stopped.Count;
    }

    // ---- Reading the record --------------------------------------------------------------------------------

    /// <summary>Per version and channel: the running counts, with what is being sent right now.</summary>
    public async Task<IReadOnlyList<(int Version, string Channel, VersionDelivery Delivery)>> VersionCountsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT c.version, c.channel, c.targeted, c.delivered, c.failed, c.gone, c.expired, c.superseded, c.acknowledged,
                   COALESCE((SELECT SUM(size - recorded) FROM outbox_items i INDEXED BY ix_items_alert
                             WHERE i.alert_id = c.alert_id AND i.version = c.version AND i.channel = c.channel AND i.state = 7), 0)
            FROM outbox_counts c WHERE c.alert_id = $a ORDER BY c.version, c.channel
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        return await cmd.ListAsync(OutboxRows.VersionCounts, cancellationToken);
    }

    /// <summary>
    /// Per version and channel: how many of the pending members wait only because their page was closed when they were
    /// tried (the last attempt said <see cref="WorkState.NotConnected"/>): they get the alert when they open it again.
    /// </summary>
    public async Task<IReadOnlyDictionary<(int Version, string Channel), long>> OfflineCountsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT i.version, i.channel, COUNT(DISTINCT j.value)
            FROM outbox_items i INDEXED BY ix_items_alert, json_each(i.members) j
            WHERE i.alert_id = $a AND i.state = 0
              AND (SELECT r.error FROM outbox_receipts r INDEXED BY ix_receipts_alert
                   WHERE r.alert_id = i.alert_id AND r.channel = i.channel AND r.resident_id = j.value AND r.version = i.version
                   ORDER BY r.id DESC LIMIT 1) = $offline
            GROUP BY i.version, i.channel
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$offline", WorkState.NotConnected);
        return await OutboxRows.CountsPerVersionAsync(cmd, cancellationToken);
    }

    /// <summary>
    /// Per channel: the (resident, channel) pairs any version of the alert reached, may have reached or is being sent to
    /// right now — exactly who a cancel or an all-clear would go to (the confirmation screen shows it before sending).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, HashSet<Guid>>> ReachedAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReachedPairsAsync(connection, null, alertId, int.MaxValue, cancellationToken);
    }

    /// <summary>Everyone any version of the alert was queued for: an update reaches them all again (the confirmation screen counts them).</summary>
    public async Task<IReadOnlyList<Guid>> EarlierResidentsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await EarlierResidentsAsync(connection, null, alertId, int.MaxValue, cancellationToken);
    }

    /// <summary>Issue → delivery latencies (ms) of an alert's delivered members on a channel, ascending.</summary>
    public async Task<(List<long> Latencies, long? First, long? Last)> LatenciesAsync(string alertId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT at - queued_at, at FROM outbox_receipts INDEXED BY ix_receipts_alert WHERE alert_id = $a AND channel = $c AND outcome = 1 ORDER BY 1
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        cmd.Parameters.AddWithValue("$c", channel);
        return await OutboxRows.LatenciesAsync(cmd, cancellationToken);
    }

    /// <summary>The alerts a resident was queued for or attempted since <paramref name="sinceMs"/>, newest first.</summary>
    public async Task<IReadOnlyList<string>> AlertsForResidentAsync(Guid residentId, long sinceMs, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT alert_id FROM (
                SELECT alert_id, queued_at AS at FROM outbox_receipts INDEXED BY ix_receipts_resident WHERE resident_id = $r AND queued_at >= $since
                UNION ALL
                SELECT i.alert_id, i.queued_at FROM outbox_members m JOIN outbox_items i ON i.id = m.item_id WHERE m.resident_id = $r AND i.queued_at >= $since)
            GROUP BY alert_id ORDER BY MAX(at) DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        cmd.Parameters.AddWithValue("$since", sinceMs);
        cmd.Parameters.AddWithValue("$limit", limit);
        return await cmd.ListAsync(reader => reader.GetString(0), cancellationToken);
    }

    /// <summary>Forgets a resident's delivery record (receipts and the index of their waiting work), inside the caller's transaction.</summary>
    public Task ForgetResidentAsync(IStoreTransaction tx, Guid residentId, CancellationToken cancellationToken) =>
        ExecAsync(SqliteStoreTransaction.Of(tx).Connection, SqliteStoreTransaction.Of(tx).Transaction, "DELETE FROM outbox_receipts WHERE resident_id = $r; DELETE FROM outbox_members WHERE resident_id = $r;", cancellationToken,
            ("$r", residentId.ToString()));

    /// <summary>Per channel, for versions queued since <paramref name="sinceMs"/>: counts by outcome, retries, throttles, latency.</summary>
    public async Task<IReadOnlyDictionary<string, ChannelWindowStats>> StatsSinceAsync(long sinceMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT c.channel, SUM(c.targeted), SUM(c.delivered), SUM(c.failed + c.expired), SUM(c.gone),
                   SUM(c.targeted - c.delivered - c.failed - c.gone - c.expired - c.superseded - c.acknowledged),
                   COALESCE(r.retried, 0), COALESCE(r.throttled, 0), COALESCE(r.attempted, 0)
            FROM outbox_counts c
            LEFT JOIN (SELECT channel, SUM(outcome = 0) AS retried, SUM(throttled) AS throttled,
                              COUNT(DISTINCT CASE WHEN outcome IN (0, 1, 2, 3) THEN alert_id || version || resident_id END) AS attempted
                       FROM outbox_receipts INDEXED BY ix_receipts_channel WHERE queued_at >= $since GROUP BY channel) r ON r.channel = c.channel
            WHERE c.queued_at >= $since GROUP BY c.channel
            """;
        cmd.Parameters.AddWithValue("$since", sinceMs);
        return await OutboxRows.WindowStatsAsync(cmd, (channel, delivered, p) => LatencyAtAsync(connection, channel, sinceMs, delivered, p, cancellationToken),
            cancellationToken);
    }

    /// <summary>Nearest-rank percentile of issue → delivery, computed in SQLite without loading every row.</summary>
    private static async Task<double?> LatencyAtAsync(SqliteConnection connection, string channel, long sinceMs, long delivered, double p, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT at - queued_at AS d FROM outbox_receipts INDEXED BY ix_receipts_channel
            WHERE channel = $c AND queued_at >= $since AND outcome = 1 ORDER BY d LIMIT 1 OFFSET $k
            """;
        cmd.Parameters.AddWithValue("$c", channel);
        cmd.Parameters.AddWithValue("$since", sinceMs);
        cmd.Parameters.AddWithValue("$k", OutboxPlanning.PercentileRank(delivered, p));
        return await cmd.ExecuteScalarAsync(cancellationToken) is long ms ? ms : null;
    }

    // ---- Helpers -------------------------------------------------------------------------------------------

    /// <summary>Members as a JSON array of "D"-format ids (how residents' ids are stored), built without a string per id.</summary>
    internal static string MembersJson(IEnumerable<Guid> members)
    {
        var json = new StringBuilder().Append('[');
        Span<char> buffer = stackalloc char[36];
        foreach (var member in members)
        {
            member.TryFormat(buffer, out _, "D");
            json.Append(json.Length > 1 ? ",\"" : "\"").Append(buffer).Append('"');
        }

        return json.Append(']').ToString();
    }


    private static async Task ExecAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
