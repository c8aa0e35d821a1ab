using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>areas</c> table in PostgreSQL (geometry as GeoJSON in jsonb).</summary>
internal sealed class PostgresAreaStore(NpgsqlDataSource dataSource) : IAreaStore
{
    public async Task<IReadOnlyList<StoredArea>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, name, kind, code, geometry::text, demo, created_at FROM areas ORDER BY created_at, id COLLATE \"C\"");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredArea>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new StoredArea(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
                r.GetBoolean(5), r.GetFieldValue<DateTimeOffset>(6)));
        }

        return list;
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS(SELECT 1 FROM areas)");
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task AddAsync(IReadOnlyList<StoredArea> areas, CancellationToken cancellationToken)
    {
        // A batch runs as one implicit transaction: every area or none.
        await using var batch = dataSource.CreateBatch();
        foreach (var area in areas)
        {
            var cmd = new NpgsqlBatchCommand("INSERT INTO areas(id, name, kind, code, geometry, demo, created_at) VALUES (@id, @name, @kind, @code, @geometry, @demo, @at)");
            cmd.Parameters.AddWithValue("id", area.Id);
            cmd.Parameters.AddWithValue("name", area.Name);
            cmd.Parameters.AddWithValue("kind", area.Kind);
            cmd.Parameters.AddWithValue("code", NpgsqlDbType.Text, (object?)area.Code ?? DBNull.Value);
            cmd.Parameters.AddWithValue("geometry", NpgsqlDbType.Jsonb, area.GeoJson);
            cmd.Parameters.AddWithValue("demo", area.Demo);
            cmd.Parameters.AddWithValue("at", area.CreatedAt.ToUniversalTime());
            batch.BatchCommands.Add(cmd);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM areas WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
