using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>cameras</c>, <c>camera_credentials</c>, <c>camera_snapshots</c> and <c>camera_timeline</c> tables in PostgreSQL.</summary>
/// <remarks>Passwords are stored as <see cref="ISecretProtector"/> protects them.</remarks>
internal sealed class PostgresCameraStore(NpgsqlDataSource dataSource, ISecretProtector secrets) : ICameraStore
{
    /// <remarks>Code-point order whatever the database's locale, as SQLite's BINARY collation orders them.</remarks>
    public async Task<IReadOnlyList<CameraRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {CameraRows.Columns} FROM cameras ORDER BY name COLLATE \"C\", id COLLATE \"C\"");
        return await cmd.ListAsync(CameraRows.Read, cancellationToken);
    }

    public async Task<CameraRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {CameraRows.Columns} FROM cameras WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.FirstOrDefaultAsync(CameraRows.Read, cancellationToken);
    }

    public async Task<IReadOnlySet<string>> IdsWithCredentialsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT camera_id FROM camera_credentials");
        return (await cmd.ListAsync(reader => reader.GetString(0), cancellationToken)).ToHashSet();
    }

    public async Task<CameraCredentials?> GetCredentialsAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT username, password FROM camera_credentials WHERE camera_id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await CameraRows.CredentialsAsync(cmd, secrets, cancellationToken);
    }

    public async Task SaveAsync(CameraRecord camera, CameraCredentials? credentials, bool isNew, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand(isNew
            ? """
              INSERT INTO cameras(id, name, kind, url, lat, lon, river, district, direction_degrees, field_of_view_degrees,
                  snapshot_interval_seconds, live_enabled, status, created_at, updated_at)
              VALUES (@id, @name, @kind, @url, @lat, @lon, @river, @district, @dir, @fov, @interval, @live, 'unknown', @now, @now)
              """
            : """
              UPDATE cameras SET name = @name, kind = @kind, url = @url, lat = @lat, lon = @lon, river = @river, district = @district,
                  direction_degrees = @dir, field_of_view_degrees = @fov, snapshot_interval_seconds = @interval, live_enabled = @live,
                  updated_at = @now
              WHERE id = @id
              """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", camera.Id);
            cmd.Parameters.AddWithValue("name", camera.Name);
            cmd.Parameters.AddWithValue("kind", camera.Kind);
            cmd.Parameters.AddWithValue("url", camera.Url);
            cmd.Parameters.AddWithValue("lat", camera.Lat);
            cmd.Parameters.AddWithValue("lon", camera.Lon);
            cmd.Parameters.AddWithValue("river", NpgsqlDbType.Text, (object?)camera.River ?? DBNull.Value);
            cmd.Parameters.AddWithValue("district", NpgsqlDbType.Text, (object?)camera.District ?? DBNull.Value);
            cmd.Parameters.AddWithValue("dir", NpgsqlDbType.Double, (object?)camera.DirectionDegrees ?? DBNull.Value);
            cmd.Parameters.AddWithValue("fov", NpgsqlDbType.Double, (object?)camera.FieldOfViewDegrees ?? DBNull.Value);
            cmd.Parameters.AddWithValue("interval", camera.SnapshotIntervalSeconds);
            cmd.Parameters.AddWithValue("live", camera.LiveEnabled);
            cmd.Parameters.AddWithValue("now", camera.UpdatedAt.ToUniversalTime());
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        if (credentials is not null)
        {
            await using var cmd = new NpgsqlCommand(credentials.Username.Length == 0
                ? "DELETE FROM camera_credentials WHERE camera_id = @id"
                : """
                  INSERT INTO camera_credentials(camera_id, username, password) VALUES (@id, @user, @password)
                  ON CONFLICT (camera_id) DO UPDATE SET username = excluded.username, password = excluded.password
                  """, connection, tx);
            cmd.Parameters.AddWithValue("id", camera.Id);
            cmd.Parameters.AddWithValue("user", credentials.Username);
            cmd.Parameters.AddWithValue("password", credentials.Username.Length == 0 ? "" : secrets.Protect(credentials.Password));
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<int> ProtectLegacyCredentialsAsync(CancellationToken cancellationToken)
    {
        // FOR UPDATE: a second hub starting at the same moment waits, then finds them protected.
        await using var tx = await PostgresStoreTransaction.BeginAsync(dataSource, cancellationToken);
        var count = await LegacySecrets.ProtectAsync(tx.Connection, tx.Transaction, secrets, "SELECT camera_id, password FROM camera_credentials FOR UPDATE",
            "UPDATE camera_credentials SET password = @secret WHERE camera_id = @key", cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return count;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM cameras WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task RecordStatusAsync(string id, string status, string previous, DateTimeOffset at, string? reason, CancellationToken cancellationToken)
    {
        // One statement, so one transaction: the timeline row exists exactly when the camera's status was set.
        await using var cmd = dataSource.CreateCommand("""
            WITH changed AS (UPDATE cameras SET status = @status, status_since = @at WHERE id = @id RETURNING id)
            INSERT INTO camera_timeline(camera_id, at, status, previous, reason)
            SELECT id, @at, @status, @previous, @reason FROM changed
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("status", status);
        cmd.Parameters.AddWithValue("previous", previous);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        cmd.Parameters.AddWithValue("reason", NpgsqlDbType.Text, (object?)reason ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SetLastImageAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE cameras SET last_image_at = @at WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<TimelineEntry>> TimelineAsync(string id, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT at, status, previous, reason FROM
                (SELECT id, at, status, previous, reason FROM camera_timeline WHERE camera_id = @id ORDER BY id DESC LIMIT @limit) newest
            ORDER BY id
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(CameraRows.Timeline, cancellationToken);
    }

    public async Task AddSnapshotAsync(string id, string cameraId, DateTimeOffset at, long size, string source, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO camera_snapshots(id, camera_id, at, size, source) VALUES (@id, @camera, @at, @size, @source)");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("camera", cameraId);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        cmd.Parameters.AddWithValue("size", size);
        cmd.Parameters.AddWithValue("source", source);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<(string Id, DateTimeOffset At)>> SnapshotsAsync(string cameraId, DateTimeOffset? from, DateTimeOffset? to, int limit,
        CancellationToken cancellationToken)
    {
        // Without a lower bound the newest `limit` are the useful ones (a scrubber over the recent past). Ties in time are ordered by
        // id so that paging is stable.
        await using var cmd = dataSource.CreateCommand(from is null
            ? """
              SELECT id, at FROM (SELECT id, at FROM camera_snapshots WHERE camera_id = @c AND (@to IS NULL OR at <= @to) ORDER BY at DESC, id COLLATE "C" DESC LIMIT @limit) newest
              ORDER BY at, id COLLATE "C"
              """
            : """SELECT id, at FROM camera_snapshots WHERE camera_id = @c AND at >= @from AND (@to IS NULL OR at <= @to) ORDER BY at, id COLLATE "C" LIMIT @limit""");
        cmd.Parameters.AddWithValue("c", cameraId);
        cmd.Parameters.AddWithValue("from", NpgsqlDbType.TimestampTz, (object?)from?.ToUniversalTime() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("to", NpgsqlDbType.TimestampTz, (object?)to?.ToUniversalTime() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(CameraRows.Snapshot, cancellationToken);
    }

    public async Task<(string CameraId, DateTimeOffset At)?> FindSnapshotAsync(string snapshotId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT camera_id, at FROM camera_snapshots WHERE id = @id");
        cmd.Parameters.AddWithValue("id", snapshotId);
        return await cmd.FirstOrDefaultAsync<(string, DateTimeOffset)?>(r => CameraRows.Snapshot(r), cancellationToken);
    }

    public async Task SetNormalDayAsync(string cameraId, string snapshotId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE cameras SET normal_day_snapshot_id = @s WHERE id = @id");
        cmd.Parameters.AddWithValue("id", cameraId);
        cmd.Parameters.AddWithValue("s", snapshotId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<(string Id, string CameraId)>> PruneSnapshotsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            DELETE FROM camera_snapshots WHERE at < @before
                AND id NOT IN (SELECT normal_day_snapshot_id FROM cameras WHERE normal_day_snapshot_id IS NOT NULL)
            RETURNING id, camera_id
            """);
        cmd.Parameters.AddWithValue("before", before.ToUniversalTime());
        return await cmd.ListAsync(CameraRows.Pair, cancellationToken);
    }
}
