using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>alert_images</c> table in PostgreSQL (the JPEGs stay files in the hub's data directory).</summary>
internal sealed class PostgresAlertImageStore(NpgsqlDataSource dataSource) : IAlertImageStore
{
    public async Task AddAsync(AlertImageRecord image, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO alert_images(id, source, source_id, caption, taken_at, created_at, created_by, width, height, bytes, small_bytes)
            VALUES (@id, @source, @sourceId, @caption, @taken, @created, @by, @w, @h, @bytes, @small)
            """);
        cmd.Parameters.AddWithValue("id", image.Id);
        cmd.Parameters.AddWithValue("source", image.Source);
        cmd.Parameters.AddWithValue("sourceId", image.SourceId);
        cmd.Parameters.AddWithValue("caption", NpgsqlDbType.Text, (object?)image.Caption ?? DBNull.Value);
        cmd.Parameters.AddWithValue("taken", NpgsqlDbType.TimestampTz, (object?)image.TakenAt?.ToUniversalTime() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("created", image.CreatedAt.ToUniversalTime());
        cmd.Parameters.AddWithValue("by", image.CreatedBy);
        cmd.Parameters.AddWithValue("w", image.Width);
        cmd.Parameters.AddWithValue("h", image.Height);
        cmd.Parameters.AddWithValue("bytes", image.Bytes);
        cmd.Parameters.AddWithValue("small", image.SmallBytes);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<AlertImageRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {AlertImageRows.Columns} FROM alert_images WHERE id = @id
            """);
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.FirstOrDefaultAsync(AlertImageRows.Read, cancellationToken);
    }
}
