using System.Data;
using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>town_points</c> and <c>town_point_sets</c> tables in PostgreSQL; an import is one binary COPY.</summary>
internal sealed class PostgresTownPointStore(NpgsqlDataSource dataSource) : ITownPointStore
{
    public async Task<(IReadOnlyList<TownPoint> Points, TownPointSet? Set)> LoadAsync(CancellationToken cancellationToken)
    {
        var points = new List<TownPoint>();
        TownPointSet? set = null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for both reads (read committed would take one per statement), so a replace in between cannot mix two sets.
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using (var cmd = new NpgsqlCommand("SELECT town, koaza, district, lat, lon FROM town_points ORDER BY id", connection, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                points.Add(new TownPoint(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetDouble(3), reader.GetDouble(4)));
            }
        }

        await using (var cmd = new NpgsqlCommand("SELECT count, attribution, imported_at, imported_by FROM town_point_sets WHERE id = 1", connection, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                set = new TownPointSet(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return (points, set);
    }

    public async Task ReplaceAsync(IReadOnlyList<TownPoint> points, TownPointSet set, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // DELETE rather than TRUNCATE: TRUNCATE is not MVCC-safe, and a load's snapshot taken before it would see no points.
        await using (var clear = new NpgsqlCommand("DELETE FROM town_points; DELETE FROM town_point_sets;", connection, tx))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        if (points.Count > 0)
        {
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY town_points(town, koaza, district, lat, lon) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var p in points)
                {
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(p.Town, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(p.Koaza, NpgsqlDbType.Text, cancellationToken);
                    if (p.District is null)
                    {
                        await copy.WriteNullAsync(cancellationToken);
                    }
                    else
                    {
                        await copy.WriteAsync(p.District, NpgsqlDbType.Text, cancellationToken);
                    }

                    await copy.WriteAsync(p.Lat, NpgsqlDbType.Double, cancellationToken);
                    await copy.WriteAsync(p.Lon, NpgsqlDbType.Double, cancellationToken);
                }

                await copy.CompleteAsync(cancellationToken);
            }

            await using var meta = new NpgsqlCommand(
                "INSERT INTO town_point_sets(id, count, attribution, imported_at, imported_by) VALUES (1, @c, @a, @at, @by)", connection, tx);
            meta.Parameters.AddWithValue("c", points.Count);
            meta.Parameters.AddWithValue("a", NpgsqlDbType.Text, (object?)set.Attribution ?? DBNull.Value);
            meta.Parameters.AddWithValue("at", set.ImportedAt.ToUniversalTime());
            meta.Parameters.AddWithValue("by", set.ImportedBy);
            await meta.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }
}
