using System.Globalization;
using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>drone_photos</c> table in SQLite (the files are the feature's).</summary>
internal sealed class SqliteDronePhotoStore(Database database) : IDronePhotoStore
{
    public async Task AddAsync(DronePhoto photo, CancellationToken cancellationToken)
    {
        var m = photo.Capture;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO drone_photos(id, received_at, uploaded_by, sha256, size, width, height, taken_at, taken_at_zone, make, model, lat, lon,
                altitude, relative_altitude, gimbal_yaw, gimbal_pitch, flight_yaw, position_source, note)
            VALUES ($id, $received, $by, $sha, $size, $w, $h, $taken, $zone, $make, $model, $lat, $lon, $alt, $rel, $yaw, $pitch, $flight, $source, $note)
            """;
        Add(cmd, "$id", photo.Id);
        Add(cmd, "$received", photo.ReceivedAt.ToString("O", CultureInfo.InvariantCulture));
        Add(cmd, "$by", photo.UploadedBy);
        Add(cmd, "$sha", photo.Sha256);
        Add(cmd, "$size", photo.Size);
        Add(cmd, "$w", photo.Width);
        Add(cmd, "$h", photo.Height);
        Add(cmd, "$taken", m.TakenAt?.ToString("O", CultureInfo.InvariantCulture));
        Add(cmd, "$zone", m.TakenAtZone.ToString());
        Add(cmd, "$make", m.Make);
        Add(cmd, "$model", m.Model);
        Add(cmd, "$lat", photo.Latitude);
        Add(cmd, "$lon", photo.Longitude);
        Add(cmd, "$alt", m.Altitude);
        Add(cmd, "$rel", m.RelativeAltitude);
        Add(cmd, "$yaw", m.GimbalYawDegrees);
        Add(cmd, "$pitch", m.GimbalPitchDegrees);
        Add(cmd, "$flight", m.FlightYawDegrees);
        Add(cmd, "$source", photo.PositionSource);
        Add(cmd, "$note", photo.Note);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<DronePhoto?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var list = await QueryAsync("WHERE id = $id", cancellationToken, ("$id", id));
        return list.Count == 0 ? null : list[0];
    }

    public async Task<DronePhoto?> FindBySha256Async(string sha256, CancellationToken cancellationToken)
    {
        var list = await QueryAsync("WHERE sha256 = $sha ORDER BY received_at, id LIMIT 1", cancellationToken, ("$sha", sha256));
        return list.Count == 0 ? null : list[0];
    }

    public Task<IReadOnlyList<DronePhoto>> ListAsync(DateTimeOffset? since, int limit, CancellationToken cancellationToken) =>
        QueryAsync("WHERE ($since IS NULL OR received_at >= $since) ORDER BY received_at, id LIMIT $limit", cancellationToken,
            ("$since", since?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)), ("$limit", limit));

    public async Task<bool> SetPositionAsync(string id, double lat, double lon, IStoreTransaction transaction, CancellationToken cancellationToken)
    {
        await using var cmd = SqliteStoreTransaction.Of(transaction).Command(
            "UPDATE drone_photos SET lat = $lat, lon = $lon, position_source = 'manual' WHERE id = $id");
        Add(cmd, "$id", id);
        Add(cmd, "$lat", lat);
        Add(cmd, "$lon", lon);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<IReadOnlyList<DronePhoto>> QueryAsync(string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {DronePhotoRows.Columns} FROM drone_photos {where}";
        foreach (var (name, value) in parameters)
        {
            Add(cmd, name, value);
        }

        return await cmd.ListAsync(DronePhotoRows.Read, cancellationToken);
    }

    private static void Add(SqliteCommand cmd, string name, object? value) => cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
}
