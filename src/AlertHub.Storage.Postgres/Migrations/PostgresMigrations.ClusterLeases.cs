namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>
    /// Steps 120–124: what the nodes of a cluster share beyond the hub's data. Leases pick the one node that runs a job
    /// (the JMA poller); the poller's conditional-GET validators let the node that takes it over ask "changed since?" as its
    /// predecessor would; data-protection keys let a cookie made on one node open on another.
    /// </summary>
    private static readonly (int Version, string Sql)[] ClusterLeases =
    [
        (120, """
            CREATE TABLE cluster_leases(
                name text PRIMARY KEY,
                holder text NOT NULL,
                acquired_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL
            );
            """),
        (121, """
            CREATE TABLE feed_poll_state(
                feed_url text PRIMARY KEY,
                etag text,
                last_modified timestamptz
            );
            """),
        (122, """
            CREATE TABLE data_protection_keys(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                friendly_name text NOT NULL UNIQUE,
                xml text NOT NULL
            );
            """),
    ];
}
