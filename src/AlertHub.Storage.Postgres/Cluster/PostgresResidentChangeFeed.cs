using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres.Cluster;

/// <summary>
/// <see cref="IResidentChangeFeed"/> from <c>residents.change_seq</c> and <c>resident_tombstones</c> (both written by
/// <see cref="Stores.PostgresResidentStore"/>). A resident changed several times appears once, with its latest number.
/// </summary>
internal sealed class PostgresResidentChangeFeed(NpgsqlDataSource dataSource) : IResidentChangeFeed
{
    public async Task<long> LatestAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT GREATEST((SELECT max(change_seq) FROM residents), (SELECT max(change_seq) FROM resident_tombstones), 0)
            """);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<ResidentChangeEntry>> ReadAfterAsync(long after, int limit, CancellationToken cancellationToken)
    {
        // One snapshot for both tables. The numbers visible in it are a prefix of every number ever committed: a change
        // takes its number under a lock held until it commits, so none with a lower number can still be on its way.
        await using var cmd = dataSource.CreateCommand("""
            SELECT seq, id, deleted, lat, lon, expires_at FROM (
                SELECT r.change_seq AS seq, r.id, false AS deleted, l.lat, l.lon, l.expires_at
                FROM residents r LEFT JOIN resident_locations l ON l.resident_id = r.id
                WHERE r.change_seq > @after
                UNION ALL
                SELECT t.change_seq, t.resident_id, true, NULL, NULL, NULL
                FROM resident_tombstones t
                WHERE t.change_seq > @after
            ) c ORDER BY seq LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("after", after);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(r => new ResidentChangeEntry(r.GetInt64(0), r.GetGuid(1), r.GetBoolean(2),
            r.IsDBNull(3) ? null : new ResidentLocation(r.GetGuid(1), r.GetDouble(3), r.GetDouble(4), r.GetFieldValue<DateTimeOffset>(5))), cancellationToken);
    }

    public async Task<int> ForgetDeletionsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM resident_tombstones WHERE deleted_at < @before");
        cmd.Parameters.AddWithValue("before", before.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
