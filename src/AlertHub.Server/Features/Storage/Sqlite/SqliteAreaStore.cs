using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>areas</c> table in the embedded SQLite store (geometry as GeoJSON text).</summary>
internal sealed class SqliteAreaStore(Database database) : IAreaStore
{
    public async Task<IReadOnlyList<StoredArea>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, kind, code, geometry, demo, created_at FROM areas ORDER BY created_at, id";
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredArea>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new StoredArea(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
                r.GetInt64(5) == 1, DateTimeOffset.Parse(r.GetString(6), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return list;
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM areas)";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task AddAsync(IReadOnlyList<StoredArea> areas, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO areas(id, name, kind, code, geometry, demo, created_at) VALUES ($id, $name, $kind, $code, $geometry, $demo, $at)";
        var id = cmd.Parameters.Add("$id", SqliteType.Text);
        var name = cmd.Parameters.Add("$name", SqliteType.Text);
        var kind = cmd.Parameters.Add("$kind", SqliteType.Text);
        var code = cmd.Parameters.Add("$code", SqliteType.Text);
        var geometry = cmd.Parameters.Add("$geometry", SqliteType.Text);
        var demo = cmd.Parameters.Add("$demo", SqliteType.Integer);
        var at = cmd.Parameters.Add("$at", SqliteType.Text);
        foreach (var area in areas)
        {
            id.Value = area.Id;
            name.Value = area.Name;
            kind.Value = area.Kind;
            code.Value = (object?)area.Code ?? DBNull.Value;
            geometry.Value = area.GeoJson;
            demo.Value = area.Demo ? 1 : 0;
            // UTC, so that the text orders as the instants do.
            at.Value = area.CreatedAt.ToUniversalTime().ToString("O");
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM areas WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
