using System.Text;
using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>
/// The <c>feed_documents</c>, <c>feed_events</c> and <c>feed_series</c> tables in PostgreSQL: codes as text[], the event as
/// json (its property order kept), the rules' series state as jsonb.
/// </summary>
internal sealed class PostgresFeedStore(NpgsqlDataSource dataSource) : IFeedStore
{
    /// <summary>
    /// The first key of the two-key advisory locks that make writers of one series take turns ("FS"); the second is the hash
    /// of the series key. Two-key locks never conflict with the migrator's one-key lock.
    /// </summary>
    private const int SeriesLockClass = 0x4653;

    public async Task<FeedDocumentMatch?> FindDocumentAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, null, sha256, cancellationToken);
    }

    public async Task QuarantineAsync(NewFeedDocument document, string code, string reason, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO feed_documents(sha256, source, origin, received_at, size, raw, status, rejection_code, rejection_reason)
            VALUES (@sha, @source, @origin, @at, @size, @raw, 'quarantined', @code, @reason)
            ON CONFLICT (sha256) DO NOTHING
            """);
        AddDocument(cmd, document);
        cmd.Parameters.AddWithValue("code", code);
        cmd.Parameters.AddWithValue("reason", reason);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<FeedAcceptance> StoreAcceptedAsync(NewFeedDocument document, NewFeedEvent e, CancellationToken cancellationToken)
    {
        var receivedAt = document.ReceivedAt.ToUniversalTime();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        long documentId;
        // A concurrent writer of the same bytes waits here on the unique index until the first commits (then finds its row and
        // stores nothing) or rolls back (then stores it itself).
        await using (var doc = new NpgsqlCommand("""
            INSERT INTO feed_documents(sha256, source, origin, received_at, size, raw, status) VALUES (@sha, @source, @origin, @at, @size, @raw, 'accepted')
            ON CONFLICT (sha256) DO NOTHING RETURNING id
            """, connection, tx))
        {
            AddDocument(doc, document);
            if (await doc.ExecuteScalarAsync(cancellationToken) is not long id)
            {
                var existing = await FindAsync(connection, tx, document.Sha256, cancellationToken);
                return new FeedAcceptance(existing, false, null, null);
            }

            documentId = id;
        }

        // The series may have no row yet to lock FOR UPDATE; a transaction-scoped advisory lock on its key serves both cases.
        await using (var lockSeries = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@class, hashtext(@key))", connection, tx))
        {
            lockSeries.Parameters.AddWithValue("class", SeriesLockClass);
            lockSeries.Parameters.AddWithValue("key", e.SeriesKey);
            await lockSeries.ExecuteNonQueryAsync(cancellationToken);
        }

        string? currentRevision, state;
        await using (var read = new NpgsqlCommand("SELECT revision, state::text FROM feed_series WHERE series_key = @key", connection, tx))
        {
            read.Parameters.AddWithValue("key", e.SeriesKey);
            (currentRevision, state) = await FeedRows.SeriesAsync(read, cancellationToken);
        }

        var (applied, reason) = FeedSeriesOrder.Decide(currentRevision, e.Revision, e.ReplacesSameRevision);
        await using var batch = new NpgsqlBatch(connection, tx);
        if (applied)
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO feed_series(series_key, revision, event_id, state, updated_at) VALUES (@key, @rev, @event, '{}', @at)
                ON CONFLICT (series_key) DO UPDATE SET revision = excluded.revision, event_id = excluded.event_id, updated_at = excluded.updated_at
                """);
            upsert.Parameters.AddWithValue("key", e.SeriesKey);
            upsert.Parameters.AddWithValue("rev", e.Revision);
            upsert.Parameters.AddWithValue("event", e.Id);
            upsert.Parameters.AddWithValue("at", receivedAt);
            batch.BatchCommands.Add(upsert);
        }

        var ev = new NpgsqlBatchCommand("""
            INSERT INTO feed_events(id, document_id, source, family, interpreted, series_key, revision, lifecycle, operational, category, severity,
                issued_at, headline, codes, applied, outcome, event, received_at)
            VALUES (@id, @doc, @source, @family, @interpreted, @series, @rev, @lifecycle, @operational, @category, @severity,
                @issued, @headline, @codes, @applied, @outcome, @event, @at)
            """);
        ev.Parameters.AddWithValue("id", e.Id);
        ev.Parameters.AddWithValue("doc", documentId);
        ev.Parameters.AddWithValue("source", e.Source);
        ev.Parameters.AddWithValue("family", e.Family);
        ev.Parameters.AddWithValue("interpreted", e.Interpreted);
        ev.Parameters.AddWithValue("series", e.SeriesKey);
        ev.Parameters.AddWithValue("rev", e.Revision);
        ev.Parameters.AddWithValue("lifecycle", e.Lifecycle);
        ev.Parameters.AddWithValue("operational", e.Operational);
        ev.Parameters.AddWithValue("category", e.Category);
        ev.Parameters.AddWithValue("severity", e.Severity);
        ev.Parameters.AddWithValue("issued", e.IssuedAt.ToUniversalTime());
        ev.Parameters.AddWithValue("headline", e.Headline);
        ev.Parameters.AddWithValue("codes", NpgsqlDbType.Array | NpgsqlDbType.Text, e.Codes.ToArray());
        ev.Parameters.AddWithValue("applied", applied);
        ev.Parameters.AddWithValue("outcome", NpgsqlDbType.Text, (object?)reason ?? DBNull.Value);
        ev.Parameters.AddWithValue("event", NpgsqlDbType.Json, e.EventJson);
        ev.Parameters.AddWithValue("at", receivedAt);
        batch.BatchCommands.Add(ev);
        await batch.ExecuteNonQueryAsync(cancellationToken);

        await tx.CommitAsync(cancellationToken);
        return new FeedAcceptance(null, applied, reason, state);
    }

    public async Task SaveOutcomeAsync(string eventId, string seriesKey, string outcome, string? alertId, string seriesStateJson, CancellationToken cancellationToken)
    {
        // One batch, one implicit transaction.
        await using var batch = dataSource.CreateBatch();
        var ev = new NpgsqlBatchCommand("UPDATE feed_events SET outcome = @outcome, alert_id = @alert WHERE id = @id");
        ev.Parameters.AddWithValue("id", eventId);
        ev.Parameters.AddWithValue("outcome", outcome);
        ev.Parameters.AddWithValue("alert", NpgsqlDbType.Text, (object?)alertId ?? DBNull.Value);
        batch.BatchCommands.Add(ev);
        var series = new NpgsqlBatchCommand("UPDATE feed_series SET state = @state WHERE series_key = @key");
        series.Parameters.AddWithValue("key", seriesKey);
        series.Parameters.AddWithValue("state", NpgsqlDbType.Jsonb, seriesStateJson);
        batch.BatchCommands.Add(series);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        // Only the conditions given go into the statement, so the planner can use the index each one has (codes: GIN).
        var sql = new StringBuilder($"SELECT {FeedRows.EventColumns} FROM feed_events WHERE true");
        await using var cmd = dataSource.CreateCommand();
        void Where(string condition, string name, object value)
        {
            sql.Append(" AND ").Append(condition);
            cmd.Parameters.AddWithValue(name, value);
        }

        if (filter.Id is { } id)
        {
            Where("id = @id", "id", id);
        }

        if (filter.Since is { } since)
        {
            Where("received_at >= @since", "since", since.ToUniversalTime());
        }

        if (filter.Until is { } until)
        {
            Where("received_at < @until", "until", until.ToUniversalTime());
        }

        if (filter.Family is { } family)
        {
            Where("family = @family", "family", family);
        }

        if (filter.Lifecycle is { } lifecycle)
        {
            Where("lifecycle = @lifecycle", "lifecycle", lifecycle);
        }

        if (filter.Source is { } source)
        {
            Where("source = @source", "source", source);
        }

        if (filter.Code is { } code)
        {
            Where("codes @> ARRAY[@code]::text[]", "code", code);
        }

        sql.Append(" ORDER BY received_at DESC, seq DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", filter.Limit);
        cmd.CommandText = sql.ToString();
        return await cmd.ListAsync(FeedRows.Event, cancellationToken);
    }

    public async Task<(StoredEvent Stored, string EventJson)?> GetEventAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {FeedRows.EventColumns}, event::text FROM feed_events WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.FirstOrDefaultAsync<(StoredEvent, string)?>(r => FeedRows.EventWithJson(r), cancellationToken);
    }

    public async Task<byte[]?> GetRawAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT d.raw FROM feed_events e JOIN feed_documents d ON d.id = e.document_id WHERE e.id = @id");
        cmd.Parameters.AddWithValue("id", eventId);
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<IReadOnlyList<QuarantinedDocument>> ListQuarantineAsync(int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT id, source, origin, received_at, size, rejection_code, rejection_reason FROM feed_documents
            WHERE status = 'quarantined' ORDER BY received_at DESC, id DESC LIMIT @n
            """);
        cmd.Parameters.AddWithValue("n", limit);
        return await cmd.ListAsync(FeedRows.Quarantined, cancellationToken);
    }

    private static async Task<FeedDocumentMatch?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sha256, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT d.id, e.id, d.status FROM feed_documents d LEFT JOIN feed_events e ON e.document_id = d.id WHERE d.sha256 = @sha", connection, tx);
        cmd.Parameters.AddWithValue("sha", sha256);
        return await cmd.FirstOrDefaultAsync(FeedRows.DocumentMatch, cancellationToken);
    }

    private static void AddDocument(NpgsqlCommand cmd, NewFeedDocument document)
    {
        cmd.Parameters.AddWithValue("sha", document.Sha256);
        cmd.Parameters.AddWithValue("source", document.Source);
        cmd.Parameters.AddWithValue("origin", NpgsqlDbType.Text, (object?)document.Origin ?? DBNull.Value);
        cmd.Parameters.AddWithValue("at", document.ReceivedAt.ToUniversalTime());
        cmd.Parameters.AddWithValue("size", document.Size);
        cmd.Parameters.AddWithValue("raw", document.Raw.ToArray());
    }
}
