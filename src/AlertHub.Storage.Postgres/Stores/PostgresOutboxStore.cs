using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>
/// The outbox in PostgreSQL (the contract is <see cref="IOutboxStore"/>). Items and receipts are written by binary COPY;
/// claims lock candidate items with <c>FOR UPDATE SKIP LOCKED</c>, so claimers on any number of connections or hub nodes
/// never wait for each other and never take one item twice. What the outbox decides (who a version goes to, how it is cut
/// into items, what a batch of outcomes records) is <see cref="OutboxPlanning"/>, shared with SQLite.
/// </summary>
/// <remarks>
/// Reads <c>alerts.current_version</c> (the alert store's table) in the checks before sending and recording: a join in the
/// same statement is what makes "a newer version exists" exact at that moment.
/// </remarks>
internal sealed class PostgresOutboxStore(NpgsqlDataSource dataSource) : IOutboxStore
{
    private const int ClaimCandidates = 64;

    // ---- Queueing ----------------------------------------------------------------------------------------

    public async Task<(int Recipients, Dictionary<string, int> ByChannel)> EnqueueAsync(IStoreTransaction transaction, OutboxEnqueue q,
        CancellationToken cancellationToken)
    {
        var (connection, tx) = (PostgresStoreTransaction.Of(transaction).Connection, PostgresStoreTransaction.Of(transaction).Transaction);

        // Supersede first: the UPDATE waits for a claim of an earlier item that is committing right now, and then leaves it
        // alone (it is Sending). The reads below take a new snapshot, so they see that claim and the retraction follows it.
        if (q.Version > 1 && !q.Append)
        {
            await ExecAsync(connection, tx, """
                WITH s AS (
                    UPDATE outbox_items SET state = 5 WHERE alert_id = @a AND version < @v AND state = 0
                    RETURNING version, channel, size - recorded AS n)
                UPDATE outbox_counts c SET superseded = c.superseded + t.n
                FROM (SELECT version, channel, SUM(n) AS n FROM s GROUP BY version, channel) t
                WHERE c.alert_id = @a AND c.version = t.version AND c.channel = t.channel
                """, cancellationToken, ("a", q.AlertId), ("v", q.Version));
        }

        var (members, recipients) = await OutboxPlanning.SelectMembersAsync(q,
            () => ReachedPairsAsync(connection, tx, q.AlertId, q.Version, cancellationToken),
            () => EarlierResidentsAsync(connection, tx, q.AlertId, q.Version, cancellationToken));

        var chunks = OutboxPlanning.Chunks(q, members).ToList();
        var byChannel = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        if (chunks.Count == 0)
        {
            return (recipients, byChannel);
        }

        var ids = await ReserveItemIdsAsync(connection, tx, chunks.Count, cancellationToken);
        var total = chunks.Sum(c => c.Members.Count);
        var indexInline = OutboxPlanning.IndexesInline(q, total);
        var toIndex = new List<(long Item, List<Guid> Members)>();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY outbox_items(id, alert_id, version, channel, priority, state, next_attempt_at, queued_at, size, members, indexed) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            for (var k = 0; k < chunks.Count; k++)
            {
                var (channel, step, chunk) = chunks[k];
                var due = q.NowMs + (step * q.EscalationStepMs);
                    var index = OutboxPlanning.MustIndex(indexInline, due, q.NowMs);
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(ids[k], NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(q.AlertId, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(q.Version, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(channel, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(q.Priority, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync((short)WorkState.Pending, NpgsqlDbType.Smallint, cancellationToken);
                await copy.WriteAsync(due, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(q.NowMs, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(chunk.Count, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(chunk.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync((short)(index ? 1 : 0), NpgsqlDbType.Smallint, cancellationToken);
                if (index)
                {
                    toIndex.Add((ids[k], chunk));
                }

                byChannel[channel] = byChannel.GetValueOrDefault(channel) + chunk.Count;
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await CopyMembersAsync(connection, toIndex, cancellationToken);
        await ExecAsync(connection, tx, """
            INSERT INTO outbox_counts(alert_id, version, channel, queued_at, targeted)
            SELECT @a, @v, c, @now, n FROM unnest(@channels, @counts) AS t(c, n)
            ON CONFLICT(alert_id, version, channel) DO UPDATE SET targeted = outbox_counts.targeted + excluded.targeted
            """, cancellationToken, ("a", q.AlertId), ("v", q.Version), ("now", q.NowMs), ("channels", byChannel.Keys.ToArray()),
            ("counts", byChannel.Values.Select(n => (long)n).ToArray()));
        return (recipients, byChannel);
    }

    private static async Task<long[]> ReserveItemIdsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, int count, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT nextval(pg_get_serial_sequence('outbox_items', 'id')) FROM generate_series(1, @n)", connection, tx);
        cmd.Parameters.AddWithValue("n", count);
        var ids = new long[count];
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        for (var k = 0; await reader.ReadAsync(cancellationToken); k++)
        {
            ids[k] = reader.GetInt64(0);
        }

        return ids;
    }

    /// <summary>Indexes new items' members by resident (the items are new, so no pair can exist yet).</summary>
    private static async Task CopyMembersAsync(NpgsqlConnection connection, List<(long Item, List<Guid> Members)> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return;
        }

        await using var copy = await connection.BeginBinaryImportAsync("COPY outbox_members(resident_id, item_id) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var (item, members) in items)
        {
            foreach (var resident in members)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(resident, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(item, NpgsqlDbType.Bigint, cancellationToken);
            }
        }

        await copy.CompleteAsync(cancellationToken);
    }

    /// <summary>(channel → residents) an earlier version reached, is being sent to, or may have reached.</summary>
    private static async Task<Dictionary<string, HashSet<Guid>>> ReachedPairsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string alertId,
        int version, CancellationToken cancellationToken)
    {
        var pairs = new Dictionary<string, HashSet<Guid>>(StringComparer.OrdinalIgnoreCase);
        await using var cmd = new NpgsqlCommand($"""
            SELECT DISTINCT channel, resident_id FROM outbox_receipts
            WHERE alert_id = @a AND version < @v AND (outcome = {WorkState.Delivered} OR maybe_reached = 1)
            UNION
            {UnrecordedMembersSql("(i.state = 7 OR i.maybe_sent = 1)")}
            """, connection, tx);
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("v", version);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var channel = reader.GetString(0);
            (pairs.TryGetValue(channel, out var set) ? set : pairs[channel] = []).Add(reader.GetGuid(1));
        }

        return pairs;
    }

    /// <summary>(channel, resident) of earlier-version (<c>@v</c>) items of alert <c>@a</c> matching <paramref name="where"/> with no receipt yet.</summary>
    private static string UnrecordedMembersSql(string where) => $"""
        SELECT i.channel, m.resident FROM outbox_items i CROSS JOIN LATERAL unnest(i.members) WITH ORDINALITY AS m(resident, ord)
        WHERE i.alert_id = @a AND i.version < @v AND {where}
          AND NOT EXISTS (SELECT 1 FROM outbox_receipts r WHERE r.item_id = i.id AND r.member = m.ord - 1)
        """;

    public async Task<HashSet<(string Channel, Guid Member)>> QueuedMembersAsync(string alertId, int version, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT channel, members FROM outbox_items WHERE alert_id = @a AND version = @v");
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("v", version);
        return await OutboxRows.QueuedMembersAsync(cmd, cancellationToken);
    }

    private static async Task<List<Guid>> EarlierResidentsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string alertId, int version,
        CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT m FROM outbox_items i CROSS JOIN LATERAL unnest(i.members) AS m WHERE i.alert_id = @a AND i.version < @v
            UNION SELECT resident_id FROM outbox_receipts WHERE alert_id = @a AND version < @v AND item_id < 0
            """, connection, tx);
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("v", version);
        var list = new List<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(reader.GetGuid(0));
        }

        return list;
    }

    public async Task<int> IndexPendingMembersAsync(int maxItems, long queuedBeforeMs, CancellationToken cancellationToken)
    {
        await using var transaction = await PostgresStoreTransaction.BeginAsync(dataSource, cancellationToken);
        // SKIP LOCKED: two nodes index different items at the same time instead of waiting for each other.
        await using var cmd = transaction.Command("""
            WITH picked AS (
                SELECT id FROM outbox_items WHERE indexed = 0 AND queued_at < @before ORDER BY id LIMIT @n FOR UPDATE SKIP LOCKED),
            marked AS (UPDATE outbox_items i SET indexed = 1 FROM picked WHERE i.id = picked.id RETURNING i.id, i.members),
            indexed AS (
                INSERT INTO outbox_members(resident_id, item_id)
                SELECT m, marked.id FROM marked CROSS JOIN LATERAL unnest(marked.members) AS m
                ON CONFLICT DO NOTHING)
            SELECT COUNT(*)::integer FROM marked
            """);
        cmd.Parameters.AddWithValue("n", maxItems);
        cmd.Parameters.AddWithValue("before", queuedBeforeMs);
        var count = (int)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return count;
    }

    // ---- Claiming and sending ----------------------------------------------------------------------------

    public async Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, string claimant, long leaseUntilMs,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        List<ClaimedItem> items;
        // Candidates are locked with SKIP LOCKED (another claimer's are passed over, never waited for); the running sum picks
        // about `limit` members of them in priority order. An item waits while an older version's item of the same alert and
        // channel is being sent, so a retraction never overtakes what it retracts.
        await using (var claim = new NpgsqlCommand($"""
            WITH candidates AS (
                SELECT i.id, i.priority, i.size - i.recorded AS n FROM outbox_items i
                WHERE i.channel = @channel AND i.state = 0 AND i.next_attempt_at <= @now
                  AND (i.version = 1 OR NOT EXISTS (
                      SELECT 1 FROM outbox_items p
                      WHERE p.alert_id = i.alert_id AND p.version < i.version AND p.channel = i.channel AND p.state = 7))
                ORDER BY i.priority DESC, i.id LIMIT {ClaimCandidates}
                FOR UPDATE SKIP LOCKED),
            picked AS (
                SELECT id FROM (SELECT id, SUM(n) OVER (ORDER BY priority DESC, id ROWS UNBOUNDED PRECEDING) - n AS before FROM candidates) s
                WHERE before < @limit)
            UPDATE outbox_items o SET state = 7, claimed_by = @claimant, lease_until = @lease FROM picked WHERE o.id = picked.id
            RETURNING o.id, o.alert_id, o.version, o.queued_at, o.members, o.attempts, o.throttles, o.recorded, o.priority
            """, connection))
        {
            claim.Parameters.AddWithValue("channel", channel);
            claim.Parameters.AddWithValue("now", nowMs);
            claim.Parameters.AddWithValue("limit", (long)limit);
            claim.Parameters.AddWithValue("claimant", claimant);
            claim.Parameters.AddWithValue("lease", leaseUntilMs);
            items = await claim.ListAsync(OutboxRows.Claimed, cancellationToken);
        }

        return await OutboxPlanning.ClaimsAsync(items, partly => RecordedMembersAsync(connection, null, partly, cancellationToken));
    }

    /// <summary>The members of these items that have a receipt, as work ids.</summary>
    private static async Task<HashSet<long>> RecordedMembersAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, long[] itemIds,
        CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT item_id, member FROM outbox_receipts WHERE item_id = ANY(@ids)", connection, tx);
        cmd.Parameters.AddWithValue("ids", itemIds);
        return await OutboxRows.WorkIdsAsync(cmd, cancellationToken);
    }

    public async Task<(IReadOnlySet<long> Stale, IReadOnlySet<long> NeverReached)> CheckBeforeSendAsync(IReadOnlyCollection<long> ids,
        IReadOnlyCollection<long> followUps, CancellationToken cancellationToken)
    {
        var neverReached = new HashSet<long>();
        if (ids.Count == 0)
        {
            return (new HashSet<long>(), neverReached);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        Dictionary<long, CheckedItem> items;
        await using (var cmd = new NpgsqlCommand("""
            SELECT i.id, i.alert_id, i.version, i.channel, i.members, a.current_version > i.version
            FROM outbox_items i JOIN alerts a ON a.id = i.alert_id WHERE i.id = ANY(@ids)
            """, connection))
        {
            cmd.Parameters.AddWithValue("ids", ids.Select(WorkIds.Item).Distinct().ToArray());
            items = (await cmd.ListAsync(OutboxRows.Checked, cancellationToken)).ToDictionary(i => i.Id, i => i.Item);
        }

        var stale = OutboxPlanning.Stale(ids, items);
        foreach (var (item, group) in OutboxPlanning.FollowUps(followUps, stale, items))
        {
            var reached = new HashSet<Guid>();
            await using (var cmd = new NpgsqlCommand($"""
                SELECT resident_id FROM outbox_receipts
                WHERE alert_id = @a AND channel = @c AND resident_id = ANY(@r) AND version < @v AND (outcome = {WorkState.Delivered} OR maybe_reached = 1)
                UNION
                SELECT resident FROM ({UnrecordedMembersSql("(i.state = 7 OR i.maybe_sent = 1)")}) u(channel, resident) WHERE lower(u.channel) = lower(@c)
                """, connection))
            {
                cmd.Parameters.AddWithValue("a", item.Alert);
                cmd.Parameters.AddWithValue("c", item.Channel);
                cmd.Parameters.AddWithValue("v", item.Version);
                cmd.Parameters.AddWithValue("r", OutboxPlanning.Residents(item, group).ToArray());
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    reached.Add(reader.GetGuid(0));
                }
            }

            OutboxPlanning.AddNeverReached(item, group, reached, neverReached);
        }

        return (stale, neverReached);
    }

    // ---- Recording -----------------------------------------------------------------------------------------

    public Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken) =>
        RecordAsync(outcomes, claimant, nowMs, skipRecorded: false, cancellationToken);

    public Task<int> RecordAgainAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken) =>
        RecordAsync(outcomes, claimant, nowMs, skipRecorded: true, cancellationToken);

    private async Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, bool skipRecorded, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return 0;
        }

        await using var transaction = await PostgresStoreTransaction.BeginAsync(dataSource, cancellationToken);
        var (connection, tx) = (transaction.Connection, transaction.Transaction);
        Dictionary<long, HeldItem> items;
        // FOR UPDATE: a node releasing an expired lease at this moment either waits for this transaction or has already
        // taken the item away (then it is no longer ours, and its outcomes are not recorded).
        await using (var cmd = new NpgsqlCommand("""
            SELECT i.id, i.alert_id, i.version, i.channel, i.priority, i.queued_at, i.members, COALESCE(a.current_version, i.version)
            FROM outbox_items i LEFT JOIN alerts a ON a.id = i.alert_id
            WHERE i.id = ANY(@ids) AND i.state = 7 AND i.claimed_by = @claimant
            FOR UPDATE OF i
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("ids", outcomes.Select(o => WorkIds.Item(o.Id)).Distinct().ToArray());
            cmd.Parameters.AddWithValue("claimant", claimant);
            items = (await cmd.ListAsync(OutboxRows.Held, cancellationToken)).ToDictionary(i => i.Id, i => i.Item);
        }

        if (skipRecorded && items.Count > 0)
        {
            outcomes = OutboxPlanning.WithoutRecorded(outcomes, await RecordedMembersAsync(connection, tx, [.. items.Keys], cancellationToken));
        }

        var plan = OutboxPlanning.PlanOutcomes(outcomes, items);
        if (plan.Receipts.Count > 0)
        {
            await using var copy = await connection.BeginBinaryImportAsync("""
                COPY outbox_receipts(item_id, member, alert_id, version, channel, resident_id, outcome, at, queued_at, attempts, error, maybe_reached, throttled)
                FROM STDIN (FORMAT BINARY)
                """, cancellationToken);
            foreach (var r in plan.Receipts)
            {
                var item = items[r.Item];
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(r.Item, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(r.Member, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(item.Alert, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(item.Version, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(item.Channel, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(r.Resident, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync((short)r.Outcome, NpgsqlDbType.Smallint, cancellationToken);
                await copy.WriteAsync(r.DeliveredAtMs > 0 ? r.DeliveredAtMs : nowMs, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(item.QueuedAt, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(r.Attempts, NpgsqlDbType.Integer, cancellationToken);
                if (r.Error is null)
                {
                    await copy.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await copy.WriteAsync(r.Error, NpgsqlDbType.Text, cancellationToken);
                }

                await copy.WriteAsync((short)(r.MayHaveReached ? 1 : 0), NpgsqlDbType.Smallint, cancellationToken);
                await copy.WriteAsync((short)(r.Throttled ? 1 : 0), NpgsqlDbType.Smallint, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        if (plan.PerItem.Count > 0)
        {
            await ExecAsync(connection, tx, """
                UPDATE outbox_items i SET recorded = i.recorded + u.n,
                    state = CASE WHEN i.recorded + u.n >= i.size THEN 1 ELSE i.state END,
                    lease_until = CASE WHEN i.recorded + u.n >= i.size THEN NULL ELSE i.lease_until END
                FROM unnest(@ids, @ns) AS u(id, n) WHERE i.id = u.id
                """, cancellationToken, ("ids", plan.PerItem.Keys.ToArray()), ("ns", plan.PerItem.Values.ToArray()));
        }

        if (plan.Released.Count > 0)
        {
            // Back to pending for any claimer; members recorded meanwhile are skipped when it is claimed again.
            await ExecAsync(connection, tx, """
                UPDATE outbox_items i SET state = CASE WHEN i.recorded >= i.size THEN 1 ELSE 0 END, lease_until = NULL,
                    maybe_sent = GREATEST(i.maybe_sent, u.reached)
                FROM unnest(@ids, @reached) AS u(id, reached) WHERE i.id = u.id AND i.state = 7
                """, cancellationToken, ("ids", plan.Released.Keys.ToArray()), ("reached", plan.Released.Values.Select(r => (short)(r ? 1 : 0)).ToArray()));
        }

        foreach (var ((alert, version, channel), c) in plan.Counts)
        {
            await ExecAsync(connection, tx, """
                UPDATE outbox_counts SET delivered = delivered + @d, failed = failed + @f, gone = gone + @g, expired = expired + @e,
                    superseded = superseded + @s, acknowledged = acknowledged + @k
                WHERE alert_id = @a AND version = @v AND channel = @c
                """, cancellationToken, ("a", alert), ("v", version), ("c", channel), ("d", (long)c[WorkState.Delivered]), ("f", (long)c[WorkState.Failed]),
                ("g", (long)c[WorkState.Gone]), ("e", (long)c[WorkState.Expired]), ("s", (long)c[WorkState.Superseded]), ("k", (long)c[WorkState.Acknowledged]));
        }

        if (plan.Retries.Count > 0)
        {
            await InsertRetriesAsync(connection, tx, plan.Retries, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return plan.Receipts.Count;
    }

    /// <summary>Members to try again become new items (with each member's counts), indexed by resident.</summary>
    private static async Task InsertRetriesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Dictionary<RetryKey, List<RetryMember>> retries,
        CancellationToken cancellationToken)
    {
        var index = new List<(long, List<Guid>)>();
        foreach (var (key, members) in retries)
        {
            foreach (var chunk in members.Chunk(WorkIds.MaxMembers))
            {
                await using var insert = new NpgsqlCommand("""
                    INSERT INTO outbox_items(alert_id, version, channel, priority, state, next_attempt_at, queued_at, size, members, attempts, throttles, indexed)
                    VALUES (@a, @v, @c, @p, 0, @due, @queued, @size, @members, @attempts, @throttles, 1) RETURNING id
                    """, connection, tx);
                insert.Parameters.AddWithValue("a", key.Alert);
                insert.Parameters.AddWithValue("v", key.Version);
                insert.Parameters.AddWithValue("c", key.Channel);
                insert.Parameters.AddWithValue("p", key.Priority);
                insert.Parameters.AddWithValue("due", key.Due);
                insert.Parameters.AddWithValue("queued", key.QueuedAt);
                insert.Parameters.AddWithValue("size", chunk.Length);
                insert.Parameters.AddWithValue("members", chunk.Select(c => c.Member).ToArray());
                insert.Parameters.AddWithValue("attempts", chunk.Select(c => c.Attempts).ToArray());
                insert.Parameters.AddWithValue("throttles", chunk.Select(c => c.Throttles).ToArray());
                var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
                index.Add((id, [.. chunk.Select(c => c.Member)]));
            }
        }

        await CopyMembersAsync(connection, index, cancellationToken);
    }

    public async Task<int> ReleaseExpiredClaimsAsync(long nowMs, string? exceptClaimant, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(exceptClaimant is null
            ? "UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = LEAST(next_attempt_at, @now), maybe_sent = 1 WHERE state = 7 AND lease_until < @now"
            : "UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = LEAST(next_attempt_at, @now), maybe_sent = 1 WHERE state = 7 AND claimed_by IS DISTINCT FROM @me");
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("me", NpgsqlDbType.Text, (object?)exceptClaimant ?? DBNull.Value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> ReleaseClaimsOfAsync(IReadOnlyCollection<string> claimants, long nowMs, CancellationToken cancellationToken)
    {
        if (claimants.Count == 0)
        {
            return 0;
        }

        await using var cmd = dataSource.CreateCommand(
            "UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = LEAST(next_attempt_at, @now), maybe_sent = 1 WHERE state = 7 AND claimed_by = ANY(@claimants)");
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("claimants", claimants.ToArray());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> ReleaseOwnClaimsAsync(string claimant, string channel, long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE outbox_items SET state = 0, lease_until = NULL, next_attempt_at = LEAST(next_attempt_at, @now), maybe_sent = 1
            WHERE state = 7 AND claimed_by = @me AND channel = @channel
            """);
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("me", claimant);
        cmd.Parameters.AddWithValue("channel", channel);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, int>> ClaimsByClaimantAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT claimed_by, COUNT(*)::int FROM outbox_items WHERE state = 7 AND claimed_by IS NOT NULL GROUP BY claimed_by");
        return await OutboxRows.ReadClaimCountsAsync(cmd, cancellationToken);
    }

    public async Task<int> ReleaseAsync(Guid residentId, string channel, long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE outbox_items SET next_attempt_at = @now
            WHERE id IN (SELECT item_id FROM outbox_members WHERE resident_id = @r) AND channel = @c AND state = 0 AND next_attempt_at > @now
            """);
        cmd.Parameters.AddWithValue("r", residentId);
        cmd.Parameters.AddWithValue("c", channel);
        cmd.Parameters.AddWithValue("now", nowMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> StopForAcknowledgementAsync(string alertId, Guid residentId, long nowMs, CancellationToken cancellationToken)
    {
        await using var transaction = await PostgresStoreTransaction.BeginAsync(dataSource, cancellationToken);
        var (connection, tx) = (transaction.Connection, transaction.Transaction);
        var stopped = new List<(long Item, int Member, int Version, string Channel)>();
        // The item rows are locked: a claim at this moment either took them first (they are Sending and not stopped) or waits.
        await using (var cmd = new NpgsqlCommand("""
            SELECT i.id, (m.ord - 1)::integer, i.version, i.channel
            FROM outbox_members om JOIN outbox_items i ON i.id = om.item_id
            CROSS JOIN LATERAL unnest(i.members) WITH ORDINALITY AS m(resident, ord)
            WHERE om.resident_id = @r AND i.alert_id = @a AND i.state = 0 AND m.resident = @r
              AND NOT EXISTS (SELECT 1 FROM outbox_receipts x WHERE x.item_id = i.id AND x.member = m.ord - 1)
            FOR UPDATE OF i
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("a", alertId);
            cmd.Parameters.AddWithValue("r", residentId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stopped.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3)));
            }
        }

        foreach (var (item, member, version, channel) in stopped)
        {
            await ExecAsync(connection, tx, $"""
                INSERT INTO outbox_receipts(item_id, member, alert_id, version, channel, resident_id, outcome, at, queued_at, attempts, error)
                SELECT id, @m, alert_id, version, channel, @r, {WorkState.Acknowledged}, @now, queued_at, 0, 'acknowledged' FROM outbox_items WHERE id = @id;
                UPDATE outbox_items SET recorded = recorded + 1, state = CASE WHEN recorded + 1 >= size THEN 1 ELSE state END WHERE id = @id;
                UPDATE outbox_counts SET acknowledged = acknowledged + 1 WHERE alert_id = @a AND version = @v AND channel = @c;
                """, cancellationToken, ("id", item), ("m", member), ("r", residentId), ("now", nowMs), ("a", alertId), ("v", version), ("c", channel));
        }

        await transaction.CommitAsync(cancellationToken);
        return stopped.Count;
    }

    // ---- Reading the record --------------------------------------------------------------------------------

    public async Task<IReadOnlyList<(int Version, string Channel, VersionDelivery Delivery)>> VersionCountsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT c.version, c.channel, c.targeted, c.delivered, c.failed, c.gone, c.expired, c.superseded, c.acknowledged,
                   COALESCE((SELECT SUM(size - recorded) FROM outbox_items i
                             WHERE i.alert_id = c.alert_id AND i.version = c.version AND i.channel = c.channel AND i.state = 7), 0)::bigint
            FROM outbox_counts c WHERE c.alert_id = @a ORDER BY c.version, c.channel COLLATE "C"
            """);
        cmd.Parameters.AddWithValue("a", alertId);
        return await cmd.ListAsync(OutboxRows.VersionCounts, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<(int Version, string Channel), long>> OfflineCountsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT i.version, i.channel, COUNT(DISTINCT m)
            FROM outbox_items i CROSS JOIN LATERAL unnest(i.members) AS m
            WHERE i.alert_id = @a AND i.state = 0
              AND (SELECT r.error FROM outbox_receipts r
                   WHERE r.alert_id = i.alert_id AND r.channel = i.channel AND r.resident_id = m AND r.version = i.version
                   ORDER BY r.id DESC LIMIT 1) = @offline
            GROUP BY i.version, i.channel
            """);
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("offline", WorkState.NotConnected);
        return await OutboxRows.CountsPerVersionAsync(cmd, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, HashSet<Guid>>> ReachedAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReachedPairsAsync(connection, null, alertId, int.MaxValue, cancellationToken);
    }

    public async Task<IReadOnlyList<Guid>> EarlierResidentsAsync(string alertId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await EarlierResidentsAsync(connection, null, alertId, int.MaxValue, cancellationToken);
    }

    public async Task<(List<long> Latencies, long? First, long? Last)> LatenciesAsync(string alertId, string channel, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT at - queued_at, at FROM outbox_receipts WHERE alert_id = @a AND channel = @c AND outcome = {WorkState.Delivered} ORDER BY 1
            """);
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("c", channel);
        return await OutboxRows.LatenciesAsync(cmd, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> AlertsForResidentAsync(Guid residentId, long sinceMs, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT alert_id FROM (
                SELECT alert_id, queued_at AS at FROM outbox_receipts WHERE resident_id = @r AND queued_at >= @since
                UNION ALL
                SELECT i.alert_id, i.queued_at FROM outbox_members m JOIN outbox_items i ON i.id = m.item_id WHERE m.resident_id = @r AND i.queued_at >= @since) s
            GROUP BY alert_id ORDER BY MAX(at) DESC LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("r", residentId);
        cmd.Parameters.AddWithValue("since", sinceMs);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(reader => reader.GetString(0), cancellationToken);
    }

    public async Task ForgetResidentAsync(IStoreTransaction transaction, Guid residentId, CancellationToken cancellationToken)
    {
        var tx = PostgresStoreTransaction.Of(transaction);
        await ExecAsync(tx.Connection, tx.Transaction, "DELETE FROM outbox_receipts WHERE resident_id = @r; DELETE FROM outbox_members WHERE resident_id = @r;",
            cancellationToken, ("r", residentId));
    }

    public async Task<IReadOnlyDictionary<string, ChannelWindowStats>> StatsSinceAsync(long sinceMs, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand("""
            SELECT c.channel, SUM(c.targeted)::bigint, SUM(c.delivered)::bigint, SUM(c.failed + c.expired)::bigint, SUM(c.gone)::bigint,
                   SUM(c.targeted - c.delivered - c.failed - c.gone - c.expired - c.superseded - c.acknowledged)::bigint,
                   COALESCE(MAX(r.retried), 0), COALESCE(MAX(r.throttled), 0), COALESCE(MAX(r.attempted), 0)
            FROM outbox_counts c
            LEFT JOIN (SELECT channel, COUNT(*) FILTER (WHERE outcome = 0) AS retried, SUM(throttled)::bigint AS throttled,
                              COUNT(DISTINCT (alert_id, version, resident_id)) FILTER (WHERE outcome IN (0, 1, 2, 3)) AS attempted
                       FROM outbox_receipts WHERE queued_at >= @since GROUP BY channel) r ON r.channel = c.channel
            WHERE c.queued_at >= @since GROUP BY c.channel
            """, connection))
        {
            cmd.Parameters.AddWithValue("since", sinceMs);
            return await OutboxRows.WindowStatsAsync(cmd, (channel, delivered, p) => LatencyAtAsync(connection, channel, sinceMs, delivered, p, cancellationToken),
                cancellationToken);
        }
    }

    private static async Task<double?> LatencyAtAsync(NpgsqlConnection connection, string channel, long sinceMs, long delivered, double p, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT at - queued_at AS d FROM outbox_receipts
            WHERE channel = @c AND queued_at >= @since AND outcome = {WorkState.Delivered} ORDER BY d LIMIT 1 OFFSET @k
            """, connection);
        cmd.Parameters.AddWithValue("c", channel);
        cmd.Parameters.AddWithValue("since", sinceMs);
        cmd.Parameters.AddWithValue("k", OutboxPlanning.PercentileRank(delivered, p));
        return await cmd.ExecuteScalarAsync(cancellationToken) is long ms ? ms : null;
    }

    private static async Task ExecAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
