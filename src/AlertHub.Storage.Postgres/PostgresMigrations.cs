namespace AlertHub.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, one numbered step at a time; a step is never edited once released, later ones change it. Native
/// types where SQLite has none: timestamptz for instants, uuid for resident ids, jsonb for documents, arrays for lists.
/// </summary>
/// <remarks>
/// Each group of tables keeps its steps in its own file under <c>Migrations/</c>, numbered in a range of its own so that
/// groups can grow without renumbering each other: 1–9 staff, keys, shelters and rules (here); 10–29 alerts, drafts and the
/// outbox; 30–49 residents, their places and endpoints, 安否; 50–69 areas, town points, feeds and their events; 70–89
/// cameras, snapshots, drone photos and alert images; 90–109 audit log, compose templates, telephony and L-Alert records; 110–129 the cluster (membership, notifications, leases).
/// The migrator applies every step not yet applied, in number order.
/// </remarks>
internal static partial class PostgresMigrations
{
    // A property, not a field: the order in which the partial files' static fields are initialised is unspecified.
    public static IReadOnlyList<(int Version, string Sql)> All => [.. Staff, .. Alerts, .. Residents, .. Places, .. Media, .. Records, .. Cluster, .. ClusterBus, .. ClusterLeases];

    private static readonly (int Version, string Sql)[] Staff =
    [
        (1, """
            CREATE TABLE shelters(
                id text PRIMARY KEY,
                name text NOT NULL,
                name_en text,
                lat double precision NOT NULL,
                lon double precision NOT NULL,
                status text NOT NULL,
                capacity integer,
                occupancy integer,
                updated_at timestamptz NOT NULL,
                updated_by text NOT NULL
            );
            """),
        (2, """
            CREATE TABLE api_keys(
                id text PRIMARY KEY,
                name text NOT NULL,
                role text NOT NULL,
                key_hash bytea NOT NULL UNIQUE,
                created_at timestamptz NOT NULL,
                revoked_at timestamptz
            );
            """),
        (3, """
            CREATE TABLE staff_users(
                username text PRIMARY KEY,
                display_name text NOT NULL,
                roles text[] NOT NULL,
                password_hash text NOT NULL,
                disabled boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE TABLE staff_sessions(
                id_hash bytea PRIMARY KEY,
                username text NOT NULL REFERENCES staff_users(username) ON DELETE CASCADE,
                csrf_token text NOT NULL,
                created_at timestamptz NOT NULL,
                last_seen_at timestamptz NOT NULL
            );
            CREATE INDEX ix_staff_sessions_user ON staff_sessions(username);
            """),
        (4, """
            CREATE TABLE rules(
                id integer PRIMARY KEY CHECK (id = 1),
                json jsonb NOT NULL,
                updated_at timestamptz NOT NULL,
                updated_by text NOT NULL
            );
            """),
    ];
}
