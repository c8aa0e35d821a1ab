using AlertHub.Core.Cluster;
using Npgsql;

namespace AlertHub.Storage.Postgres.Cluster;

/// <summary>
/// <c>cluster_nodes</c>: one row per node start. Heartbeats and the silence check use the database's clock, so the nodes'
/// own clocks do not matter.
/// </summary>
internal sealed class PostgresClusterMembership(NpgsqlDataSource dataSource) : IClusterMembership, IDisposable
{
    public bool IsShared => true;

    /// <summary>
    /// A pool of two connections for membership alone, to the store's database: heartbeats and the silence check then never
    /// queue behind the node's delivery work for a connection.
    /// </summary>
    public static NpgsqlDataSource OwnDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = 2;
        builder.ConnectionStringBuilder.MinPoolSize = 1;
        builder.ConnectionStringBuilder.ApplicationName = "alerthub-heartbeat";
        return builder.Build();
    }

    public void Dispose() => dataSource.Dispose();

    public async Task<int> EndSessionsOfAsync(IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken)
    {
        if (nodeIds.Count == 0)
        {
            return 0;
        }

        // pg_terminate_backend(pid, timeout) waits until the session is gone (its transaction rolled back, its locks freed);
        // ending another session of the same login needs no further privilege.
        await using var cmd = dataSource.CreateCommand("""
            SELECT count(*)::int FROM (
                SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = ANY(@names) AND pid <> pg_backend_pid()) s
            WHERE ended
            """);
        cmd.Parameters.AddWithValue("names", nodeIds.Select(ClusterNode.SessionNameOf).Distinct().ToArray());
        return (int)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<bool> HeartbeatAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        // The row as it was before this heartbeat tells whether the cluster had given this node up meanwhile.
        await using var cmd = dataSource.CreateCommand("""
            WITH before AS (SELECT declared_dead_at FROM cluster_nodes WHERE id = @id)
            INSERT INTO cluster_nodes(id, name, started_at, heartbeat_at, index_applied, delivered) VALUES (@id, @name, now(), now(), @index, @delivered)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), declared_dead_at = NULL, left_at = NULL, index_applied = @index, delivered = @delivered
            RETURNING (SELECT declared_dead_at IS NOT NULL FROM before)
            """);
        cmd.Parameters.AddWithValue("id", node.Id);
        cmd.Parameters.AddWithValue("name", node.Name);
        cmd.Parameters.Add(new NpgsqlParameter("index", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = node.IndexApplied >= 0 ? node.IndexApplied : DBNull.Value });
        cmd.Parameters.AddWithValue("delivered", node.Delivered);
        return await cmd.ExecuteScalarAsync(cancellationToken) is true;
    }

    public async Task LeaveAsync(ClusterNode node, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE cluster_nodes SET left_at = now() WHERE id = @id");
        cmd.Parameters.AddWithValue("id", node.Id);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DeclareSilentNodesDeadAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The row lock of the UPDATE makes each declaration happen once: a second node looking at the same moment waits,
        // then finds declared_dead_at set and skips the row. Rows of nodes gone for a week are deleted on the way.
        await using var batch = dataSource.CreateBatch();
        var declare = new NpgsqlBatchCommand("""
            UPDATE cluster_nodes SET declared_dead_at = now()
            WHERE left_at IS NULL AND declared_dead_at IS NULL AND heartbeat_at < now() - @timeout
            RETURNING id
            """);
        declare.Parameters.AddWithValue("timeout", timeout);
        batch.BatchCommands.Add(declare);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM cluster_nodes WHERE heartbeat_at < now() - interval '7 days'"));
        var ids = new List<string>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task<IReadOnlyList<string>> RecentlyDeadAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id FROM cluster_nodes WHERE declared_dead_at >= now() - @within");
        cmd.Parameters.AddWithValue("within", within);
        var ids = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task<(DateTimeOffset Now, IReadOnlyList<ClusterMember> Members)> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT now(), id, name, started_at, heartbeat_at, left_at, declared_dead_at, index_applied, delivered FROM cluster_nodes
            ORDER BY (left_at IS NULL AND declared_dead_at IS NULL) DESC, started_at DESC, id
            LIMIT 200
            """);
        var members = new List<ClusterMember>();
        var now = DateTimeOffset.MinValue;
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            now = reader.GetFieldValue<DateTimeOffset>(0);
            members.Add(new ClusterMember(reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6))
            {
                IndexApplied = reader.IsDBNull(7) ? null : reader.GetInt64(7),
                Delivered = reader.GetInt64(8),
            });
        }

        if (members.Count == 0)
        {
            await using var clock = dataSource.CreateCommand("SELECT now()");
            now = (DateTimeOffset)(await clock.ExecuteScalarAsync(cancellationToken))!;
        }

        return (now, members);
    }
}
