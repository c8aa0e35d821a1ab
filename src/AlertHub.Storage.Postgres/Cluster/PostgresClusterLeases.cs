using AlertHub.Core.Cluster;
using Npgsql;

namespace AlertHub.Storage.Postgres.Cluster;

/// <summary>The <c>cluster_leases</c> table: one row per lease name, taken or renewed by one atomic upsert.</summary>
internal sealed class PostgresClusterLeases(NpgsqlDataSource dataSource, ClusterNode node) : IClusterLeases
{
    public async Task<bool> TryAcquireAsync(string name, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        // One statement, so two nodes racing for a free or expired lease cannot both win: the loser's ON CONFLICT waits for
        // the winner's row lock and then sees its fresh expiry. now() is the database's clock, never a node's.
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO cluster_leases AS l (name, holder, acquired_at, expires_at)
            VALUES (@name, @me, now(), now() + @ttl)
            ON CONFLICT (name) DO UPDATE
                SET holder = excluded.holder,
                    acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE excluded.acquired_at END,
                    expires_at = excluded.expires_at
                WHERE l.holder = excluded.holder OR l.expires_at <= now()
            """);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("me", node.Id);
        cmd.Parameters.AddWithValue("ttl", timeToLive);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseAsync(string name, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM cluster_leases WHERE name = @name AND holder = @me");
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("me", node.Id);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ClusterLease>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT name, holder, acquired_at, expires_at, expires_at > now() FROM cluster_leases ORDER BY name COLLATE \"C\"");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<ClusterLease>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new ClusterLease(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3), r.GetBoolean(4)));
        }

        return list;
    }
}
