namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>
    /// Steps 70–89: cameras, snapshots, drone photos and alert images. Only metadata: the JPEGs stay files in the hub's data
    /// directory on either engine, as they are with SQLite.
    /// </summary>
    private static readonly (int Version, string Sql)[] Media =
    [
        (70, """
            CREATE TABLE cameras(
                id text PRIMARY KEY,
                name text NOT NULL,
                kind text NOT NULL,
                url text NOT NULL,
                lat double precision NOT NULL,
                lon double precision NOT NULL,
                river text,
                district text,
                direction_degrees double precision,
                field_of_view_degrees double precision,
                snapshot_interval_seconds integer NOT NULL,
                live_enabled boolean NOT NULL,
                status text NOT NULL,
                status_since timestamptz,
                last_image_at timestamptz,
                normal_day_snapshot_id text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            -- A table of its own, so that no query listing cameras can return them; the password as ISecretProtector encrypts it.
            CREATE TABLE camera_credentials(
                camera_id text PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
                username text NOT NULL,
                password text NOT NULL
            );
            CREATE TABLE camera_snapshots(
                id text PRIMARY KEY,
                camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
                at timestamptz NOT NULL,
                size bigint NOT NULL,
                source text NOT NULL
            );
            CREATE INDEX ix_camera_snapshots ON camera_snapshots(camera_id, at);
            CREATE TABLE camera_timeline(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
                at timestamptz NOT NULL,
                status text NOT NULL,
                previous text NOT NULL,
                reason text
            );
            CREATE INDEX ix_camera_timeline ON camera_timeline(camera_id, id);
            """),
        (71, """
            CREATE TABLE drone_photos(
                id text PRIMARY KEY,
                received_at timestamptz NOT NULL,
                uploaded_by text NOT NULL,
                sha256 text NOT NULL,
                size bigint NOT NULL,
                width integer NOT NULL,
                height integer NOT NULL,
                taken_at timestamptz,
                taken_at_zone text NOT NULL,
                make text,
                model text,
                lat double precision,
                lon double precision,
                altitude double precision,
                relative_altitude double precision,
                gimbal_yaw double precision,
                gimbal_pitch double precision,
                flight_yaw double precision,
                position_source text,
                note text
            );
            CREATE INDEX ix_drone_photos_received ON drone_photos(received_at);
            CREATE INDEX ix_drone_photos_sha256 ON drone_photos(sha256);
            CREATE TABLE alert_images(
                id text PRIMARY KEY,
                source text NOT NULL,
                source_id text NOT NULL,
                caption text,
                taken_at timestamptz,
                created_at timestamptz NOT NULL,
                created_by text NOT NULL,
                width integer NOT NULL,
                height integer NOT NULL,
                bytes integer NOT NULL,
                small_bytes integer NOT NULL
            );
            """),
    ];
}
