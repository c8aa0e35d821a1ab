using System.Text.Json;
using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Feeds;

/// <summary>What the rules remember about one series, per rule: the alert it led to and what it said.</summary>
internal sealed record RuleSeriesState(string? AlertId, int Level, string[] Municipalities, bool Ended, bool Cancelled, string? DraftId = null);

internal sealed record StoredEvent(
    string Id, long DocumentId, string Source, string Family, bool Interpreted, string SeriesKey, string Revision, string Lifecycle, string Operational,
    string Category, int Severity, DateTimeOffset IssuedAt, string Headline, string[] Codes, bool Applied, string? Outcome, string? AlertId,
    DateTimeOffset ReceivedAt);

internal sealed record QuarantinedDocument(long Id, string Source, string? Origin, DateTimeOffset ReceivedAt, long Size, string Code, string Reason);

internal sealed record EventFilter(DateTimeOffset? Since, DateTimeOffset? Until, string? Family, string? Code, string? Lifecycle, string? Source, int Limit, string? Id = null);

/// <summary>
/// Raw feed documents (by SHA-256, so byte-identical re-deliveries are ignored), the events they became, the
/// quarantine of rejected documents, and per-series state (the newest revision wins).
/// </summary>
internal sealed class FeedStore(Database database, TimeProvider time)
{
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>The event of a byte-identical document seen before, or null.</summary>
    public async Task<(long DocumentId, string? EventId, string Status)?> FindDocumentAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT d.id, e.id, d.status FROM feed_documents d LEFT JOIN feed_events e ON e.document_id = d.id WHERE d.sha256 = $sha";
        cmd.Parameters.AddWithValue("$sha", sha256);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2)) : null;
    }

    public async Task QuarantineAsync(string sha256, FeedSource? source, string? origin, ReadOnlyMemory<byte> raw, int keepBytes, string code, string reason,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT OR IGNORE INTO feed_documents(sha256, source, origin, received_at, size, raw, status, rejection_code, rejection_reason)
            VALUES ($sha, $source, $origin, $at, $size, $raw, 'quarantined', $code, $reason)
            """;
        cmd.Parameters.AddWithValue("$sha", sha256);
        cmd.Parameters.AddWithValue("$source", source?.ToString() ?? "unknown");
        cmd.Parameters.AddWithValue("$origin", (object?)origin ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O"));
        cmd.Parameters.AddWithValue("$size", raw.Length);
        cmd.Parameters.AddWithValue("$raw", raw[..Math.Min(raw.Length, keepBytes)].ToArray());
        cmd.Parameters.AddWithValue("$code", code);
        cmd.Parameters.AddWithValue("$reason", reason.Length > 1000 ? reason[..1000] : reason);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Stores an accepted document and its event and, in the same transaction, advances the series when the
    /// event is newer than what the series holds (out-of-order arrivals never regress it; a correction of the
    /// same revision replaces it). Returns whether it was applied and the series state before it.
    /// </summary>
    public async Task<(bool Applied, string? Reason, Dictionary<string, RuleSeriesState> State)> StoreAcceptedAsync(
        string sha256, FeedSource source, string? origin, ReadOnlyMemory<byte> raw, HazardEvent e, string eventId, CancellationToken cancellationToken,
        IReadOnlyCollection<string>? codes = null)
    {
        var now = time.GetUtcNow().ToString("O");
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        long documentId;
        await using (var doc = connection.CreateCommand())
        {
            doc.Transaction = tx;
            doc.CommandText = """
                INSERT INTO feed_documents(sha256, source, origin, received_at, size, raw, status) VALUES ($sha, $source, $origin, $at, $size, $raw, 'accepted');
                SELECT last_insert_rowid();
                """;
            doc.Parameters.AddWithValue("$sha", sha256);
            doc.Parameters.AddWithValue("$source", source.ToString());
            doc.Parameters.AddWithValue("$origin", (object?)origin ?? DBNull.Value);
            doc.Parameters.AddWithValue("$at", now);
            doc.Parameters.AddWithValue("$size", raw.Length);
            doc.Parameters.AddWithValue("$raw", raw.ToArray());
            documentId = (long)(await doc.ExecuteScalarAsync(cancellationToken))!;
        }

        string? currentRevision = null;
        var state = new Dictionary<string, RuleSeriesState>();
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT revision, state FROM feed_series WHERE series_key = $key";
            read.Parameters.AddWithValue("$key", e.SeriesKey);
            await using var r = await read.ExecuteReaderAsync(cancellationToken);
            if (await r.ReadAsync(cancellationToken))
            {
                currentRevision = r.GetString(0);
                state = JsonSerializer.Deserialize<Dictionary<string, RuleSeriesState>>(r.GetString(1), Json.Options) ?? [];
            }
        }

        var compare = currentRevision is null ? 1 : string.CompareOrdinal(e.Revision, currentRevision);
        var applied = compare > 0 || (compare == 0 && e.Lifecycle is EventLifecycle.Correction or EventLifecycle.Cancel);
        var reason = applied ? null : compare == 0 ? $"same revision {e.Revision} as the series already holds" : $"older than the series' revision {currentRevision}";
        if (applied)
        {
            await using var upsert = connection.CreateCommand();
            upsert.Transaction = tx;
            upsert.CommandText = """
                INSERT INTO feed_series(series_key, revision, event_id, state, updated_at) VALUES ($key, $rev, $event, $state, $at)
                ON CONFLICT(series_key) DO UPDATE SET revision = excluded.revision, event_id = excluded.event_id, updated_at = excluded.updated_at
                """;
            upsert.Parameters.AddWithValue("$key", e.SeriesKey);
            upsert.Parameters.AddWithValue("$rev", e.Revision);
            upsert.Parameters.AddWithValue("$event", eventId);
            upsert.Parameters.AddWithValue("$state", JsonSerializer.Serialize(state, Json.Options));
            upsert.Parameters.AddWithValue("$at", now);
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
            ev.Parameters.AddWithValue("$id", eventId);
            ev.Parameters.AddWithValue("$doc", documentId);
            ev.Parameters.AddWithValue("$source", e.Source.ToString());
            ev.Parameters.AddWithValue("$family", e.Family);
            ev.Parameters.AddWithValue("$interpreted", e.Interpreted ? 1 : 0);
            ev.Parameters.AddWithValue("$series", e.SeriesKey);
            ev.Parameters.AddWithValue("$rev", e.Revision);
            ev.Parameters.AddWithValue("$lifecycle", e.Lifecycle.ToString());
            ev.Parameters.AddWithValue("$operational", e.Operational.ToString());
            ev.Parameters.AddWithValue("$category", e.Category);
            ev.Parameters.AddWithValue("$severity", (int)e.Severity);
            ev.Parameters.AddWithValue("$issued", e.IssuedAt.ToString("O"));
            ev.Parameters.AddWithValue("$headline", e.MainText.Headline);
            ev.Parameters.AddWithValue("$codes", JsonSerializer.Serialize(codes ?? EventCodes.Of(e, [])));
            ev.Parameters.AddWithValue("$applied", applied ? 1 : 0);
            ev.Parameters.AddWithValue("$outcome", (object?)reason ?? DBNull.Value);
            ev.Parameters.AddWithValue("$event", JsonSerializer.Serialize(e, Json.Options));
            ev.Parameters.AddWithValue("$at", now);
            await ev.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return (applied, reason, state);
    }

    public async Task SaveOutcomeAsync(string eventId, string seriesKey, string outcome, string? alertId, Dictionary<string, RuleSeriesState> state,
        CancellationToken cancellationToken)
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
        cmd.Parameters.AddWithValue("$state", JsonSerializer.Serialize(state, Json.Options));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredEvent>> ListAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT id, document_id, source, family, interpreted, series_key, revision, lifecycle, operational, category, severity, issued_at, headline,
                   codes, applied, outcome, alert_id, received_at
            FROM feed_events
            WHERE ($id IS NULL OR id = $id) AND ($since IS NULL OR received_at >= $since) AND ($until IS NULL OR received_at < $until)
              AND ($family IS NULL OR family = $family) AND ($lifecycle IS NULL OR lifecycle = $lifecycle) AND ($source IS NULL OR source = $source)
              AND ($code IS NULL OR EXISTS(SELECT 1 FROM json_each(codes) WHERE value = $code))
            ORDER BY received_at DESC, rowid DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$since", (object?)filter.Since?.ToString("O") ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$until", (object?)filter.Until?.ToString("O") ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$family", (object?)filter.Family ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$lifecycle", (object?)filter.Lifecycle ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$source", (object?)filter.Source ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$code", (object?)filter.Code ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", filter.Limit);
        cmd.Parameters.AddWithValue("$id", (object?)filter.Id ?? DBNull.Value);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredEvent>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new StoredEvent(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetInt64(4) == 1, r.GetString(5), r.GetString(6),
                r.GetString(7), r.GetString(8), r.GetString(9), r.GetInt32(10), DateTimeOffset.Parse(r.GetString(11)), r.GetString(12),
                JsonSerializer.Deserialize<string[]>(r.GetString(13)) ?? [], r.GetInt64(14) == 1, r.IsDBNull(15) ? null : r.GetString(15),
                r.IsDBNull(16) ? null : r.GetString(16), DateTimeOffset.Parse(r.GetString(17))));
        }

        return list;
    }

    public async Task<(HazardEvent Event, StoredEvent Stored)?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var found = await ListAsync(new EventFilter(null, null, null, null, null, null, 1, id), cancellationToken);
        if (found.Count == 0)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT event FROM feed_events WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        var json = (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        return (JsonSerializer.Deserialize<HazardEvent>(json, Json.Options)!, found[0]);
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
            WHERE status = 'quarantined' ORDER BY received_at DESC LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$n", limit);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<QuarantinedDocument>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new QuarantinedDocument(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), DateTimeOffset.Parse(r.GetString(3)),
                r.GetInt64(4), r.GetString(5), r.GetString(6)));
        }

        return list;
    }
}
