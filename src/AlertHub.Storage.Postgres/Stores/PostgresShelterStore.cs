using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>shelters</c> table in PostgreSQL.</summary>
internal sealed class PostgresShelterStore(NpgsqlDataSource dataSource) : IShelterStore
{
    private const string Columns = "id, name, name_en, lat, lon, status, capacity, occupancy, updated_at";

    /// <remarks>Code-point order whatever the database's locale, as SQLite's BINARY collation orders them.</remarks>
    public async Task<IReadOnlyList<Shelter>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM shelters ORDER BY name COLLATE \"C\", id COLLATE \"C\"");
        return await ReadAsync(cmd, cancellationToken);
    }

    public async Task<Shelter?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM shelters WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return (await ReadAsync(cmd, cancellationToken)).FirstOrDefault();
    }

    public async Task<(bool Existed, string? PreviousStatus)> UpsertAsync(Shelter shelter, string actor, CancellationToken cancellationToken)
    {
        // The row lock of FOR UPDATE makes concurrent changes of one shelter wait their turn, and (read committed) each then
        // reads the status the one before it wrote. A first insert racing another has no row to lock: xmax still tells the
        // second that it updated.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        string? previous;
        await using (var read = new NpgsqlCommand("SELECT status FROM shelters WHERE id = @id FOR UPDATE", connection, tx))
        {
            read.Parameters.AddWithValue("id", shelter.Id);
            previous = await read.ExecuteScalarAsync(cancellationToken) as string;
        }

        bool existed;
        await using (var write = new NpgsqlCommand("""
            INSERT INTO shelters(id, name, name_en, lat, lon, status, capacity, occupancy, updated_at, updated_by)
            VALUES (@id, @name, @en, @lat, @lon, @status, @cap, @occ, @at, @by)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, lat = excluded.lat, lon = excluded.lon,
                status = excluded.status, capacity = excluded.capacity, occupancy = excluded.occupancy,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by
            RETURNING xmax <> 0
            """, connection, tx))
        {
            write.Parameters.AddWithValue("id", shelter.Id);
            write.Parameters.AddWithValue("name", shelter.Name);
            write.Parameters.AddWithValue("en", NpgsqlTypes.NpgsqlDbType.Text, (object?)shelter.NameEn ?? DBNull.Value);
            write.Parameters.AddWithValue("lat", shelter.Location.Lat);
            write.Parameters.AddWithValue("lon", shelter.Location.Lon);
            write.Parameters.AddWithValue("status", shelter.Status);
            write.Parameters.AddWithValue("cap", NpgsqlTypes.NpgsqlDbType.Integer, (object?)shelter.Capacity ?? DBNull.Value);
            write.Parameters.AddWithValue("occ", NpgsqlTypes.NpgsqlDbType.Integer, (object?)shelter.Occupancy ?? DBNull.Value);
            write.Parameters.AddWithValue("at", shelter.UpdatedAt.ToUniversalTime());
            write.Parameters.AddWithValue("by", actor);
            existed = (bool)(await write.ExecuteScalarAsync(cancellationToken))!;
        }

        await tx.CommitAsync(cancellationToken);
        return (existed || previous is not null, previous);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM shelters WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<List<Shelter>> ReadAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<Shelter>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new Shelter(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), new GeoPoint(r.GetDouble(3), r.GetDouble(4)),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetInt32(7), r.GetFieldValue<DateTimeOffset>(8)));
        }

        return list;
    }
}
