using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary><c>safety_replies</c> (安否) in the embedded SQLite store.</summary>
internal sealed class SqliteSafetyReplyStore(Database database) : ISafetyReplyStore
{
    public async Task<long> AddAsync(SafetyReply reply, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO safety_replies(resident_id, alert_id, status, note, lat, lon, at) VALUES ($r, $a, $s, $n, $lat, $lon, $at);
            SELECT last_insert_rowid();
            """;
        cmd.Parameters.AddWithValue("$r", reply.ResidentId.ToString());
        cmd.Parameters.AddWithValue("$a", (object?)reply.AlertId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$s", reply.Status);
        cmd.Parameters.AddWithValue("$n", (object?)reply.Note ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$lat", (object?)reply.Lat ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$lon", (object?)reply.Lon ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", reply.At.ToString("O"));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <remarks>Reads the residents store's <c>resident_places</c> in a join (read only): the map asks for up to 50,000 replies
    /// at once, and a second round trip per reply for the home place would be far slower.</remarks>
    public async Task<IReadOnlyList<SafetyReplyWithPlace>> LatestAsync(string? alertId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT s.id, s.resident_id, s.alert_id, s.status, s.note, s.lat, s.lon, s.at, p.lat, p.lon
            FROM safety_replies s
            JOIN (SELECT MAX(id) AS id FROM safety_replies WHERE $alert IS NULL OR alert_id = $alert GROUP BY resident_id) latest ON latest.id = s.id
            LEFT JOIN resident_places p ON p.resident_id = s.resident_id
                AND p.idx = (SELECT MIN(idx) FROM resident_places WHERE resident_id = s.resident_id)
            ORDER BY s.id DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$alert", (object?)alertId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", limit);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<SafetyReplyWithPlace>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new SafetyReplyWithPlace(
                new SafetyReply(r.GetInt64(0), Guid.Parse(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetDouble(6), DateTimeOffset.Parse(r.GetString(7))),
                r.IsDBNull(8) ? null : r.GetDouble(8), r.IsDBNull(9) ? null : r.GetDouble(9)));
        }

        return list;
    }
}
