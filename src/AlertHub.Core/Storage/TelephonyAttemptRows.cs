using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The <c>telephony_attempts</c> rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class TelephonyAttemptRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order.</summary>
    public const string Columns = """
        id, delivery_key, attempt, alert_id, version, resident_id, channel, address, language, spoken, state, due_at, sid, status,
        answered_by, digits, acknowledged, error_code, detail, sequence, created_at, updated_at
        """;

    /// <summary>A row selected as <see cref="Columns"/>; instants as the Unix milliseconds the attempts carry.</summary>
    public static TelephonyAttempt Read(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), r.Uuid(5),
        r.GetString(6), r.GetString(7), r.GetString(8), r.GetString(9), r.GetString(10), r.UnixMsOrNull(11),
        r.TextOrNull(12), r.TextOrNull(13), r.TextOrNull(14), r.TextOrNull(15), r.Flag(16), r.TextOrNull(17), r.TextOrNull(18), r.GetInt32(19),
        r.UnixMs(20), r.UnixMs(21));
}
