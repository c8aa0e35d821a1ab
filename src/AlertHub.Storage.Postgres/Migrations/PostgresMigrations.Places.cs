namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 50–69: areas, town points, feeds, feed events and what each poller has seen.</summary>
    private static readonly (int Version, string Sql)[] Places =
    [
        // Geometry stays GeoJSON, as SQLite keeps it (targeting runs in memory on NetTopologySuite; no PostGIS needed).
        (50, """
            CREATE TABLE areas(
                id text PRIMARY KEY,
                name text NOT NULL,
                kind text NOT NULL,
                code text,
                geometry jsonb NOT NULL,
                demo boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL
            );
            CREATE INDEX ix_areas_code ON areas(code);
            """),
        // One set of 町字 points at a time; the identity keeps the order they were imported in.
        (51, """
            CREATE TABLE town_points(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                town text NOT NULL,
                koaza text NOT NULL,
                district text,
                lat double precision NOT NULL,
                lon double precision NOT NULL
            );
            CREATE TABLE town_point_sets(
                id integer PRIMARY KEY CHECK (id = 1),
                count integer NOT NULL,
                attribution text,
                imported_at timestamptz NOT NULL,
                imported_by text NOT NULL
            );
            """),
        // The event is json, not jsonb: it comes back with its properties in the order written (the first text is the main
        // one when none is Japanese). Codes are an array with a GIN index for the events API's code filter; seq orders events
        // received at the same instant, as SQLite's rowid does.
        (52, """
            CREATE TABLE feed_documents(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                sha256 text NOT NULL UNIQUE,
                source text NOT NULL,
                origin text,
                received_at timestamptz NOT NULL,
                size bigint NOT NULL,
                raw bytea NOT NULL,
                status text NOT NULL,
                rejection_code text,
                rejection_reason text
            );
            CREATE INDEX ix_feed_documents_status ON feed_documents(status, received_at);
            CREATE TABLE feed_events(
                id text PRIMARY KEY,
                seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                document_id bigint NOT NULL REFERENCES feed_documents(id),
                source text NOT NULL,
                family text NOT NULL,
                interpreted boolean NOT NULL,
                series_key text NOT NULL,
                revision text NOT NULL,
                lifecycle text NOT NULL,
                operational text NOT NULL,
                category text NOT NULL,
                severity integer NOT NULL,
                issued_at timestamptz NOT NULL,
                headline text NOT NULL,
                codes text[] NOT NULL,
                applied boolean NOT NULL,
                outcome text,
                alert_id text,
                event json NOT NULL,
                received_at timestamptz NOT NULL
            );
            CREATE INDEX ix_feed_events_received ON feed_events(received_at, seq);
            CREATE INDEX ix_feed_events_series ON feed_events(series_key, revision);
            CREATE INDEX ix_feed_events_document ON feed_events(document_id);
            CREATE INDEX ix_feed_events_codes ON feed_events USING gin(codes);
            CREATE TABLE feed_series(
                series_key text PRIMARY KEY,
                revision text NOT NULL,
                event_id text NOT NULL,
                state jsonb NOT NULL,
                updated_at timestamptz NOT NULL
            );
            """),
        (53, """
            CREATE TABLE feed_seen_entries(
                entry_id text PRIMARY KEY,
                feed_url text NOT NULL,
                data_url text,
                outcome text NOT NULL,
                seen_at timestamptz NOT NULL
            );
            CREATE INDEX ix_feed_seen_at ON feed_seen_entries(seen_at);
            """),
    ];
}
