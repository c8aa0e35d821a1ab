using System.Globalization;
using System.Text.Json;
using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>
/// The <c>feed_documents</c>, <c>feed_events</c> and <c>feed_series</c> tables in the embedded SQLite store. Instants are
/// ISO 8601 text in UTC (so the text orders as the instants do); an event's codes are a JSON array.
/// </summary>
internal sealed class SqliteFeedStore(Database database) : IFeedStore
{
    public async Task<FeedDocumentMatch?> FindDocumentAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, null, sha256, cancellationToken);
    }

    public async Task QuarantineAsync(NewFeedDocument document, string code, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT OR IGNORE INTO feed_documents(sha256, source, origin, received_at, size, raw, status, rejection_code, rejection_reason)
            VALUES ($sha, $source, $origin, $at, $size, $raw, 'quarantined', $code, $reason)
            """;
        AddDocument(cmd, document);
        cmd.Parameters.AddWithValue("$code", code);
        cmd.Parameters.AddWithValue("$reason", reason);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<FeedAcceptance> StoreAcceptedAsync(NewFeedDocument document, NewFeedEvent e, CancellationToken cancellationToken)
    {
        var receivedAt = Instant(document.ReceivedAt);
        await using var connection = await database.OpenAsync(cancellationToken);
        // The first statement writes, so the transaction holds SQLite's one write lock from there on: writers take turns.
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        long documentId;
        await using (var doc = connection.CreateCommand())
        {
            doc.Transaction = tx;
            doc.CommandText = """
                INSERT INTO feed_documents(sha256, source, origin, received_at, size, raw, status) VALUES ($sha, $source, $origin, $at, $size, $raw, 'accepted')
                ON CONFLICT(sha256) DO NOTHING RETURNING id
                """;
            AddDocument(doc, document);
            if (await doc.ExecuteScalarAsync(cancellationToken) is not long id)
            {
                var existing = await FindAsync(connection, tx, document.Sha256, cancellationToken);
                return new FeedAcceptance(existing, false, null, null);
            }

            documentId = id;
        }

        string? currentRevision, state;
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT revision, state FROM feed_series WHERE series_key = $key";
            read.Parameters.AddWithValue("$key", e.SeriesKey);
            (currentRevision, state) = await FeedRows.SeriesAsync(read, cancellationToken);
        }

        var (applied, reason) = FeedSeriesOrder.Decide(currentRevision, e.Revision, e.ReplacesSameRevision);
        if (applied)
        {
            await using var upsert = connection.CreateCommand();
            upsert.Transaction = tx;
            upsert.CommandText = """
                INSERT INTO feed_series(series_key, revision, event_id, state, updated_at) VALUES ($key, $rev, $event, '{}', $at)
                ON CONFLICT(series_key) DO UPDATE SET revision = excluded.revision, event_id = excluded.event_id, updated_at = excluded.updated_at
                """;
            upsert.Parameters.AddWithValue("$key", e.SeriesKey);
            upsert.Parameters.AddWithValue("$rev", e.Revision);
            upsert.Parameters.AddWithValue("$event", e.Id);
            upsert.Parameters.AddWithValue("$at", receivedAt);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var ev = connection.CreateCommand())
        {
            ev.Transaction = tx;
            ev.CommandText = """
                INSERT INTO feed_events(id, document_id, source, family, interpreted, series_key, revision, lifecycle, operational, category, severity,
                    issued_at, headline, codes, applied, outcome, event, received_at)
                VALUES ($id, $doc, $source, $family, $interpreted, $series, $rev, $lifecycle, $operational, $category, $severity,
                    $issued, $headline, $codes, $applied, $outcome, $event, $at)
                """;
            ev.Parameters.AddWithValue("$id", e.Id);
            ev.Parameters.AddWithValue("$doc", documentId);
            ev.Parameters.AddWithValue("$source", e.Source);
            ev.Parameters.AddWithValue("$family", e.Family);
            ev.Parameters.AddWithValue("$interpreted", e.Interpreted ? 1 : 0);
            ev.Parameters.AddWithValue("$series", e.SeriesKey);
            ev.Parameters.AddWithValue("$rev", e.Revision);
            ev.Parameters.AddWithValue("$lifecycle", e.Lifecycle);
            ev.Parameters.AddWithValue("$operational", e.Operational);
            ev.Parameters.AddWithValue("$category", e.Category);
            ev.Parameters.AddWithValue("$severity", e.Severity);
            ev.Parameters.AddWithValue("$issued", e.IssuedAt.ToString("O"));
            ev.Parameters.AddWithValue("$headline", e.Headline);
            ev.Parameters.AddWithValue("$codes", JsonSerializer.Serialize(e.Codes));
            ev.Parameters.AddWithValue("$applied", applied ? 1 : 0);
            ev.Parameters.AddWithValue("$outcome", (object?)reason ?? DBNull.Value);
            ev.Parameters.AddWithValue("$event", e.EventJson);
            ev.Parameters.AddWithValue("$at", receivedAt);
            await ev.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return new FeedAcceptance(null, applied, reason, state);
    }

    public async Task SaveOutcomeAsync(string eventId, string seriesKey, string outcome, string? alertId, string seriesStateJson, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            UPDATE feed_events SET outcome = $outcome, alert_id = $alert WHERE id = $id;
            UPDATE feed_series SET state = $state WHERE series_key = $key;
            """;
        cmd.Parameters.AddWithValue("$id", eventId);
        cmd.Parameters.AddWithValue("$outcome", outcome);
        cmd.Parameters.AddWithValue("$alert", (object?)alertId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$key", seriesKey);
        cmd.Parameters.AddWithValue("$state", seriesStateJson);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT {FeedRows.EventColumns}
            FROM feed_events
            WHERE ($id IS NULL OR id = $id) AND ($since IS NULL OR received_at >= $since) AND ($until IS NULL OR received_at < $until)
              AND ($family IS NULL OR family = $family) AND ($lifecycle IS NULL OR lifecycle = $lifecycle) AND ($source IS NULL OR source = $source)
              AND ($code IS NULL OR EXISTS(SELECT 1 FROM json_each(codes) WHERE value = $code))
            ORDER BY received_at DESC, rowid DESC LIMIT $limit
            """;
        // The stored instants are UTC text: a bound given with another offset must be UTC text too to compare as an instant.
        cmd.Parameters.AddWithValue("$since", filter.Since is { } since ? Instant(since) : DBNull.Value);
        cmd.Parameters.AddWithValue("$until", filter.Until is { } until ? Instant(until) : DBNull.Value);
        cmd.Parameters.AddWithValue("$family", (object?)filter.Family ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$lifecycle", (object?)filter.Lifecycle ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$source", (object?)filter.Source ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$code", (object?)filter.Code ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", filter.Limit);
        cmd.Parameters.AddWithValue("$id", (object?)filter.Id ?? DBNull.Value);
        return await cmd.ListAsync(FeedRows.Event, cancellationToken);
    }

    public async Task<(StoredEvent Stored, string EventJson)?> GetEventAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {FeedRows.EventColumns}, event FROM feed_events WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.FirstOrDefaultAsync<(StoredEvent, string)?>(r => FeedRows.EventWithJson(r), cancellationToken);
    }

    public async Task<byte[]?> GetRawAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT d.raw FROM feed_events e JOIN feed_documents d ON d.id = e.document_id WHERE e.id = $id";
        cmd.Parameters.AddWithValue("$id", eventId);
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<IReadOnlyList<QuarantinedDocument>> ListQuarantineAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT id, source, origin, received_at, size, rejection_code, rejection_reason FROM feed_documents
            WHERE status = 'quarantined' ORDER BY received_at DESC, id DESC LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$n", limit);
        return await cmd.ListAsync(FeedRows.Quarantined, cancellationToken);
    }

    private static async Task<FeedDocumentMatch?> FindAsync(SqliteConnection connection, SqliteTransaction? tx, string sha256, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT d.id, e.id, d.status FROM feed_documents d LEFT JOIN feed_events e ON e.document_id = d.id WHERE d.sha256 = $sha";
        cmd.Parameters.AddWithValue("$sha", sha256);
        return await cmd.FirstOrDefaultAsync(FeedRows.DocumentMatch, cancellationToken);
    }

    private static void AddDocument(SqliteCommand cmd, NewFeedDocument document)
    {
        cmd.Parameters.AddWithValue("$sha", document.Sha256);
        cmd.Parameters.AddWithValue("$source", document.Source);
        cmd.Parameters.AddWithValue("$origin", (object?)document.Origin ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", Instant(document.ReceivedAt));
        cmd.Parameters.AddWithValue("$size", document.Size);
        cmd.Parameters.AddWithValue("$raw", document.Raw.ToArray());
    }

    private static string Instant(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
