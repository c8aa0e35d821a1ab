namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>110–114: cluster membership (the nodes sharing this database, their heartbeats, their channels' problems).</summary>
    private static readonly (int Version, string Sql)[] Cluster =
    [
        (110, """
            CREATE TABLE cluster_nodes(
                id text PRIMARY KEY,
                name text NOT NULL,
                started_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL,
                left_at timestamptz,
                declared_dead_at timestamptz
            );
            CREATE INDEX ix_cluster_nodes_live ON cluster_nodes(heartbeat_at) WHERE left_at IS NULL AND declared_dead_at IS NULL;
            """),
        // The last resident change each node's targeting index has applied, sent with its heartbeat.
        (111, "ALTER TABLE cluster_nodes ADD COLUMN index_applied bigint;"),
        // How many deliveries each node has recorded since it started, sent with its heartbeat (load spread, /api/cluster).
        (113, "ALTER TABLE cluster_nodes ADD COLUMN delivered bigint NOT NULL DEFAULT 0;"),
        // What each node's channels report as wrong with them (revoked credentials and the like), for every node's /api/channels.
        (112, """
            CREATE TABLE channel_problems(
                node_id text NOT NULL,
                channel text NOT NULL,
                problem text NOT NULL,
                since timestamptz NOT NULL,
                PRIMARY KEY(node_id, channel)
            );
            """),
    ];
}
