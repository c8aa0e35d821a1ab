using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The feed tables' rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class FeedRows
{
    /// <summary>The columns <see cref="Event"/> expects, in order.</summary>
    public const string EventColumns = """
        id, document_id, source, family, interpreted, series_key, revision, lifecycle, operational, category, severity, issued_at, headline,
        codes, applied, outcome, alert_id, received_at
        """;

    /// <summary>A <c>feed_events</c> row selected as <see cref="EventColumns"/>.</summary>
    public static StoredEvent Event(DbDataReader r) =>
        new(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.Flag(4), r.GetString(5), r.GetString(6),
            r.GetString(7), r.GetString(8), r.GetString(9), r.GetInt32(10), r.Instant(11), r.GetString(12),
            r.TextArray(13), r.Flag(14), r.TextOrNull(15), r.TextOrNull(16), r.Instant(17));

    /// <summary>An event selected as <see cref="EventColumns"/> followed by its JSON.</summary>
    public static (StoredEvent Stored, string EventJson) EventWithJson(DbDataReader r) => (Event(r), r.GetString(18));

    /// <summary>A quarantined document selected as <c>id, source, origin, received_at, size, rejection_code, rejection_reason</c>.</summary>
    public static QuarantinedDocument Quarantined(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.TextOrNull(2), r.Instant(3), r.GetInt64(4), r.GetString(5), r.GetString(6));

    /// <summary>A series' current revision and the rules' state for it, selected as <c>revision, state</c>; both null when the series is new.</summary>
    public static async Task<(string? Revision, string? State)> SeriesAsync(DbCommand cmd, CancellationToken cancellationToken) =>
        await cmd.FirstOrDefaultAsync<(string?, string?)?>(r => (r.GetString(0), r.GetString(1)), cancellationToken) ?? (null, null);

    /// <summary>A document found by its hash, selected as <c>document id, event id, status</c>.</summary>
    public static FeedDocumentMatch DocumentMatch(DbDataReader r) => new(r.GetInt64(0), r.TextOrNull(1), r.GetString(2));
}
