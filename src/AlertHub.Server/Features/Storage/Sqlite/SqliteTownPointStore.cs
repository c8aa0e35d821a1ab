using System.Globalization;
using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>town_points</c> and <c>town_point_sets</c> tables in the embedded SQLite store.</summary>
internal sealed class SqliteTownPointStore(Database database) : ITownPointStore
{
    public async Task<(IReadOnlyList<TownPoint> Points, TownPointSet? Set)> LoadAsync(CancellationToken cancellationToken)
    {
        var points = new List<TownPoint>();
        TownPointSet? set = null;
        await using var connection = await database.OpenAsync(cancellationToken);
        // One read transaction: both reads see the same snapshot of the WAL, so a replace in between cannot mix two sets.
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT town, koaza, district, lat, lon FROM town_points ORDER BY id";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                points.Add(new TownPoint(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetDouble(3), reader.GetDouble(4)));
            }
        }

        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT count, attribution, imported_at, imported_by FROM town_point_sets WHERE id = 1";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                set = new TownPointSet(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                    DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.GetString(3));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return (points, set);
    }

    public async Task ReplaceAsync(IReadOnlyList<TownPoint> points, TownPointSet set, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var clear = connection.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = "DELETE FROM town_points; DELETE FROM town_point_sets;";
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO town_points(town, koaza, district, lat, lon) VALUES ($t, $k, $d, $lat, $lon)";
            var town = insert.Parameters.Add("$t", SqliteType.Text);
            var koaza = insert.Parameters.Add("$k", SqliteType.Text);
            var district = insert.Parameters.Add("$d", SqliteType.Text);
            var lat = insert.Parameters.Add("$lat", SqliteType.Real);
            var lon = insert.Parameters.Add("$lon", SqliteType.Real);
            foreach (var p in points)
            {
                town.Value = p.Town;
                koaza.Value = p.Koaza;
                district.Value = (object?)p.District ?? DBNull.Value;
                lat.Value = p.Lat;
                lon.Value = p.Lon;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        if (points.Count > 0)
        {
            await using var meta = connection.CreateCommand();
            meta.Transaction = tx;
            meta.CommandText = "INSERT INTO town_point_sets(id, count, attribution, imported_at, imported_by) VALUES (1, $c, $a, $at, $by)";
            meta.Parameters.AddWithValue("$c", points.Count);
            meta.Parameters.AddWithValue("$a", (object?)set.Attribution ?? DBNull.Value);
            meta.Parameters.AddWithValue("$at", set.ImportedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            meta.Parameters.AddWithValue("$by", set.ImportedBy);
            await meta.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }
}
