using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The Lアラート tables' rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class LAlertRows
{
    /// <summary>The columns <see cref="Send"/> expects, in order (the sends' table as <c>s</c>).</summary>
    public const string SendColumns = "s.publication_seq, s.node, s.state, s.attempts, s.code, s.result, s.last_attempt_at, s.acknowledged_at";

    /// <summary>The columns <see cref="Publication"/> expects, in order.</summary>
    public const string PublicationColumns = "seq, document_id, revision, category, status, distribution_type, distribution_id, summary, alert_id, alert_version, created_at";

    public static LAlertSendRecord Send(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.Int32OrNull(4), r.TextOrNull(5), r.InstantOrNull(6), r.InstantOrNull(7));

    /// <summary>A send selected as <see cref="SendColumns"/> followed by its publication's revision.</summary>
    public static (LAlertSendRecord Send, int Revision) SendWithRevision(DbDataReader r) => (Send(r), r.GetInt32(8));

    public static LAlertPublicationRecord Publication(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.TextOrNull(8),
            r.Int32OrNull(9), r.Instant(10));

    /// <summary>A publication waiting for a node, selected as <c>seq, revision, xml</c>.</summary>
    public static (long Seq, int Revision, byte[] Xml) Pending(DbDataReader r) => (r.GetInt64(0), r.GetInt32(1), r.GetFieldValue<byte[]>(2));

    /// <summary>A scope's open document, selected as <c>id, revision, state, first_created_at</c>.</summary>
    public static LAlertOpenDocument OpenDocument(DbDataReader r) => new(r.GetString(0), r.GetInt32(1), r.GetString(2), r.Instant(3));

    /// <summary>Whether a version was applied, and with which publication, from <c>publication_seq</c> rows (none: not applied).</summary>
    public static async Task<(bool Applied, long? Seq)> AppliedAsync(DbCommand cmd, CancellationToken cancellationToken) =>
        await cmd.FirstOrDefaultAsync<(bool, long?)?>(r => (true, r.Int64OrNull(0)), cancellationToken) ?? (false, null);
}
