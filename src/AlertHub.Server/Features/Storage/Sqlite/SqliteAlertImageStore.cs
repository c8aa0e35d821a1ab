using System.Globalization;
using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>alert_images</c> table in SQLite (the files are the feature's).</summary>
internal sealed class SqliteAlertImageStore(Database database) : IAlertImageStore
{
    public async Task AddAsync(AlertImageRecord image, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO alert_images(id, source, source_id, caption, taken_at, created_at, created_by, width, height, bytes, small_bytes)
            VALUES ($id, $source, $sourceId, $caption, $taken, $created, $by, $w, $h, $bytes, $small)
            """;
        cmd.Parameters.AddWithValue("$id", image.Id);
        cmd.Parameters.AddWithValue("$source", image.Source);
        cmd.Parameters.AddWithValue("$sourceId", image.SourceId);
        cmd.Parameters.AddWithValue("$caption", (object?)image.Caption ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$taken", (object?)image.TakenAt?.ToString("O", CultureInfo.InvariantCulture) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$created", image.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$by", image.CreatedBy);
        cmd.Parameters.AddWithValue("$w", image.Width);
        cmd.Parameters.AddWithValue("$h", image.Height);
        cmd.Parameters.AddWithValue("$bytes", image.Bytes);
        cmd.Parameters.AddWithValue("$small", image.SmallBytes);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<AlertImageRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT {AlertImageRows.Columns} FROM alert_images WHERE id = $id
            """;
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.FirstOrDefaultAsync(AlertImageRows.Read, cancellationToken);
    }
}
