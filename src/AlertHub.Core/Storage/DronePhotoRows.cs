using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The <c>drone_photos</c> rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class DronePhotoRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order.</summary>
    public const string Columns = """
        id, received_at, uploaded_by, sha256, size, width, height, taken_at, taken_at_zone, make, model, lat, lon,
        altitude, relative_altitude, gimbal_yaw, gimbal_pitch, flight_yaw, position_source, note
        """;

    public static DronePhoto Read(DbDataReader r)
    {
        var capture = new DronePhotoCapture(r.InstantOrNull(7), Enum.Parse<TakenAtZone>(r.GetString(8)), r.TextOrNull(9), r.TextOrNull(10),
            r.DoubleOrNull(13), r.DoubleOrNull(14), r.DoubleOrNull(15), r.DoubleOrNull(16), r.DoubleOrNull(17));
        return new DronePhoto(r.GetString(0), r.Instant(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt32(5), r.GetInt32(6), capture,
            r.DoubleOrNull(11), r.DoubleOrNull(12), r.TextOrNull(18), r.TextOrNull(19));
    }
}
