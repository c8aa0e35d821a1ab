using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The <c>alert_images</c> rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class AlertImageRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order.</summary>
    public const string Columns = "id, source, source_id, caption, taken_at, created_at, created_by, width, height, bytes, small_bytes";

    public static AlertImageRecord Read(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.TextOrNull(3), r.InstantOrNull(4), r.Instant(5), r.GetString(6), r.GetInt32(7), r.GetInt32(8),
            r.GetInt32(9), r.GetInt32(10));
}
