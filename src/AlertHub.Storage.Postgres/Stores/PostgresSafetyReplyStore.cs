using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary><c>safety_replies</c> (安否) in PostgreSQL.</summary>
internal sealed class PostgresSafetyReplyStore(NpgsqlDataSource dataSource) : ISafetyReplyStore
{
    public async Task<long> AddAsync(SafetyReply reply, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO safety_replies(resident_id, alert_id, status, note, lat, lon, at) VALUES (@r, @a, @s, @n, @lat, @lon, @at) RETURNING id
            """);
        cmd.Parameters.AddWithValue("r", reply.ResidentId);
        cmd.Parameters.AddWithValue("a", NpgsqlDbType.Text, (object?)reply.AlertId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("s", reply.Status);
        cmd.Parameters.AddWithValue("n", NpgsqlDbType.Text, (object?)reply.Note ?? DBNull.Value);
        cmd.Parameters.AddWithValue("lat", NpgsqlDbType.Double, (object?)reply.Lat ?? DBNull.Value);
        cmd.Parameters.AddWithValue("lon", NpgsqlDbType.Double, (object?)reply.Lon ?? DBNull.Value);
        cmd.Parameters.AddWithValue("at", reply.At.ToUniversalTime());
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <remarks>Reads the residents store's <c>resident_places</c> in a join (read only): the map asks for up to 50,000 replies
    /// at once, and a second round trip per reply for the home place would be far slower.</remarks>
    public async Task<IReadOnlyList<SafetyReplyWithPlace>> LatestAsync(string? alertId, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT s.id, s.resident_id, s.alert_id, s.status, s.note, s.lat, s.lon, s.at, p.lat, p.lon
            FROM (SELECT DISTINCT ON (resident_id) * FROM safety_replies WHERE @alert::text IS NULL OR alert_id = @alert
                  ORDER BY resident_id, id DESC) s
            LEFT JOIN LATERAL (SELECT lat, lon FROM resident_places WHERE resident_id = s.resident_id ORDER BY idx LIMIT 1) p ON true
            ORDER BY s.id DESC LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("alert", NpgsqlDbType.Text, (object?)alertId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("limit", limit);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<SafetyReplyWithPlace>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new SafetyReplyWithPlace(
                new SafetyReply(r.GetInt64(0), r.GetGuid(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetDouble(6), r.GetFieldValue<DateTimeOffset>(7)),
                r.IsDBNull(8) ? null : r.GetDouble(8), r.IsDBNull(9) ? null : r.GetDouble(9)));
        }

        return list;
    }
}
