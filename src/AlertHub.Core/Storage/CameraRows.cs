using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The camera tables' rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class CameraRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order.</summary>
    public const string Columns = """
        id, name, kind, url, lat, lon, river, district, direction_degrees, field_of_view_degrees,
        snapshot_interval_seconds, live_enabled, status, status_since, last_image_at, normal_day_snapshot_id, updated_at
        """;

    /// <summary>A <c>cameras</c> row selected as <see cref="Columns"/>.</summary>
    public static CameraRecord Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4), r.GetDouble(5),
        r.TextOrNull(6), r.TextOrNull(7), r.DoubleOrNull(8), r.DoubleOrNull(9),
        r.GetInt32(10), r.Flag(11), r.GetString(12), r.InstantOrNull(13), r.InstantOrNull(14), r.TextOrNull(15), r.Instant(16));

    /// <summary>
    /// A camera's credentials from rows selected as <c>username, password</c> (the password as <paramref name="secrets"/> protected
    /// it); null when there is no row or the password can no longer be decrypted.
    /// </summary>
    public static async Task<CameraCredentials?> CredentialsAsync(DbCommand cmd, ISecretProtector secrets, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && secrets.Unprotect(reader.GetString(1)) is { } password
            ? new CameraCredentials(reader.GetString(0), password)
            : null;
    }

    /// <summary>A <c>camera_timeline</c> row selected as <c>at, status, previous, reason</c>.</summary>
    public static TimelineEntry Timeline(DbDataReader r) => new(r.Instant(0), r.GetString(1), r.GetString(2), r.TextOrNull(3));

    /// <summary>A snapshot selected as <c>id, at</c>.</summary>
    public static (string Id, DateTimeOffset At) Snapshot(DbDataReader r) => (r.GetString(0), r.Instant(1));

    /// <summary>A pair of text columns, as <c>DELETE … RETURNING id, camera_id</c> gives them.</summary>
    public static (string, string) Pair(DbDataReader r) => (r.GetString(0), r.GetString(1));
}
