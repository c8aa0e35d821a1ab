using AlertHub.Core.Cluster;
using Npgsql;

namespace AlertHub.Storage.Postgres.Cluster;

/// <summary>
/// <c>channel_problems</c>: one row per node and channel while the channel reports a problem. Reading joins
/// <c>cluster_nodes</c> (membership's table, read only) so that a dead or departed node's last words drop out at once.
/// </summary>
internal sealed class PostgresChannelProblemStore(NpgsqlDataSource dataSource) : IChannelProblemStore
{
    public async Task SetAsync(ClusterNode node, string channel, string? problem, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var write = problem is null
            ? new NpgsqlBatchCommand("DELETE FROM channel_problems WHERE node_id = @node AND channel = @channel")
            : new NpgsqlBatchCommand("""
                INSERT INTO channel_problems(node_id, channel, problem, since) VALUES (@node, @channel, @problem, now())
                ON CONFLICT (node_id, channel) DO UPDATE SET problem = excluded.problem
                """);
        write.Parameters.AddWithValue("node", node.Id);
        write.Parameters.AddWithValue("channel", channel);
        if (problem is not null)
        {
            write.Parameters.AddWithValue("problem", problem);
        }

        batch.BatchCommands.Add(write);
        // Rows of nodes that are gone would otherwise stay for ever (a restart is a new node id).
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            DELETE FROM channel_problems p WHERE NOT EXISTS (
                SELECT 1 FROM cluster_nodes n WHERE n.id = p.node_id AND n.left_at IS NULL AND n.declared_dead_at IS NULL)
              AND p.node_id <> @node
            """) { Parameters = { new NpgsqlParameter("node", node.Id) } });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ChannelProblem>> ListLiveAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT p.node_id, n.name, p.channel, p.problem, p.since FROM channel_problems p
            JOIN cluster_nodes n ON n.id = p.node_id AND n.left_at IS NULL AND n.declared_dead_at IS NULL
            ORDER BY p.channel, p.since
            """);
        var problems = new List<ChannelProblem>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            problems.Add(new ChannelProblem(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return problems;
    }
}
