using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>drone_photos</c> table in PostgreSQL (the files stay in the hub's data directory).</summary>
internal sealed class PostgresDronePhotoStore(NpgsqlDataSource dataSource) : IDronePhotoStore
{
    private const string Select = $"SELECT {DronePhotoRows.Columns} FROM drone_photos";

    public async Task AddAsync(DronePhoto photo, CancellationToken cancellationToken)
    {
        var m = photo.Capture;
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO drone_photos(id, received_at, uploaded_by, sha256, size, width, height, taken_at, taken_at_zone, make, model, lat, lon,
                altitude, relative_altitude, gimbal_yaw, gimbal_pitch, flight_yaw, position_source, note)
            VALUES (@id, @received, @by, @sha, @size, @w, @h, @taken, @zone, @make, @model, @lat, @lon, @alt, @rel, @yaw, @pitch, @flight, @source, @note)
            """);
        cmd.Parameters.AddWithValue("id", photo.Id);
        cmd.Parameters.AddWithValue("received", photo.ReceivedAt.ToUniversalTime());
        cmd.Parameters.AddWithValue("by", photo.UploadedBy);
        cmd.Parameters.AddWithValue("sha", photo.Sha256);
        cmd.Parameters.AddWithValue("size", photo.Size);
        cmd.Parameters.AddWithValue("w", photo.Width);
        cmd.Parameters.AddWithValue("h", photo.Height);
        cmd.Parameters.AddWithValue("taken", NpgsqlDbType.TimestampTz, (object?)m.TakenAt?.ToUniversalTime() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("zone", m.TakenAtZone.ToString());
        Text(cmd, "make", m.Make);
        Text(cmd, "model", m.Model);
        Real(cmd, "lat", photo.Latitude);
        Real(cmd, "lon", photo.Longitude);
        Real(cmd, "alt", m.Altitude);
        Real(cmd, "rel", m.RelativeAltitude);
        Real(cmd, "yaw", m.GimbalYawDegrees);
        Real(cmd, "pitch", m.GimbalPitchDegrees);
        Real(cmd, "flight", m.FlightYawDegrees);
        Text(cmd, "source", photo.PositionSource);
        Text(cmd, "note", photo.Note);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<DronePhoto?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Select + " WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.FirstOrDefaultAsync(DronePhotoRows.Read, cancellationToken);
    }

    public async Task<DronePhoto?> FindBySha256Async(string sha256, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Select + " WHERE sha256 = @sha ORDER BY received_at, id COLLATE \"C\" LIMIT 1");
        cmd.Parameters.AddWithValue("sha", sha256);
        return await cmd.FirstOrDefaultAsync(DronePhotoRows.Read, cancellationToken);
    }

    public async Task<IReadOnlyList<DronePhoto>> ListAsync(DateTimeOffset? since, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Select + " WHERE (@since IS NULL OR received_at >= @since) ORDER BY received_at, id COLLATE \"C\" LIMIT @limit");
        cmd.Parameters.AddWithValue("since", NpgsqlDbType.TimestampTz, (object?)since?.ToUniversalTime() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(DronePhotoRows.Read, cancellationToken);
    }

    public async Task<bool> SetPositionAsync(string id, double lat, double lon, IStoreTransaction transaction, CancellationToken cancellationToken)
    {
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command(
            "UPDATE drone_photos SET lat = @lat, lon = @lon, position_source = 'manual' WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("lat", lat);
        cmd.Parameters.AddWithValue("lon", lon);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static void Text(NpgsqlCommand cmd, string name, string? value) => cmd.Parameters.AddWithValue(name, NpgsqlDbType.Text, (object?)value ?? DBNull.Value);

    private static void Real(NpgsqlCommand cmd, string name, double? value) => cmd.Parameters.AddWithValue(name, NpgsqlDbType.Double, (object?)value ?? DBNull.Value);
}
