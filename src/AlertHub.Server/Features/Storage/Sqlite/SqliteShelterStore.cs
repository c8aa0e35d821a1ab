using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>shelters</c> table in the embedded SQLite store.</summary>
internal sealed class SqliteShelterStore(Database database) : IShelterStore
{
    public async Task<IReadOnlyList<Shelter>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, name_en, lat, lon, status, capacity, occupancy, updated_at FROM shelters ORDER BY name, id";
        return await ReadAsync(cmd, cancellationToken);
    }

    public async Task<Shelter?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, name_en, lat, lon, status, capacity, occupancy, updated_at FROM shelters WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return (await ReadAsync(cmd, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Inserts or replaces by id; returns the status it had before (null when new).</summary>
    public async Task<(bool Existed, string? PreviousStatus)> UpsertAsync(Shelter shelter, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        string? previous;
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT status FROM shelters WHERE id = $id";
            read.Parameters.AddWithValue("$id", shelter.Id);
            previous = await read.ExecuteScalarAsync(cancellationToken) as string;
        }

        await using (var write = connection.CreateCommand())
        {
            write.Transaction = tx;
            write.CommandText = """
                INSERT INTO shelters(id, name, name_en, lat, lon, status, capacity, occupancy, updated_at, updated_by)
                VALUES ($id, $name, $en, $lat, $lon, $status, $cap, $occ, $at, $by)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, lat = excluded.lat, lon = excluded.lon,
                    status = excluded.status, capacity = excluded.capacity, occupancy = excluded.occupancy,
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by
                """;
            write.Parameters.AddWithValue("$id", shelter.Id);
            write.Parameters.AddWithValue("$name", shelter.Name);
            write.Parameters.AddWithValue("$en", (object?)shelter.NameEn ?? DBNull.Value);
            write.Parameters.AddWithValue("$lat", shelter.Location.Lat);
            write.Parameters.AddWithValue("$lon", shelter.Location.Lon);
            write.Parameters.AddWithValue("$status", shelter.Status);
            write.Parameters.AddWithValue("$cap", (object?)shelter.Capacity ?? DBNull.Value);
            write.Parameters.AddWithValue("$occ", (object?)shelter.Occupancy ?? DBNull.Value);
            write.Parameters.AddWithValue("$at", shelter.UpdatedAt.ToString("O"));
            write.Parameters.AddWithValue("$by", actor);
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return (previous is not null, previous);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM shelters WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<List<Shelter>> ReadAsync(SqliteCommand cmd, CancellationToken cancellationToken)
    {
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<Shelter>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new Shelter(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), new GeoPoint(r.GetDouble(3), r.GetDouble(4)),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetInt32(7), DateTimeOffset.Parse(r.GetString(8))));
        }

        return list;
    }
}
