namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 10–29: alerts, alert versions, drafts and the outbox (items, receipts, counts, members).</summary>
    private static readonly (int Version, string Sql)[] Alerts =
    [
        (10, """
            CREATE TABLE alerts(
                id text PRIMARY KEY,
                current_version integer NOT NULL,
                state text NOT NULL,
                created_at timestamptz NOT NULL,
                created_by text NOT NULL
            );
            CREATE TABLE alert_versions(
                alert_id text NOT NULL REFERENCES alerts(id),
                version integer NOT NULL,
                msg_type text NOT NULL,
                issued_at timestamptz NOT NULL,
                expires_at timestamptz,
                priority integer NOT NULL,
                recipients integer NOT NULL,
                document jsonb NOT NULL,
                queued_complete boolean NOT NULL DEFAULT true,
                queued_in_full_at bigint,
                PRIMARY KEY(alert_id, version)
            );
            CREATE TABLE alert_acks(
                alert_id text NOT NULL,
                resident_id uuid NOT NULL,
                at timestamptz NOT NULL,
                via text NOT NULL,
                PRIMARY KEY(alert_id, resident_id)
            );
            CREATE INDEX ix_alert_acks_resident ON alert_acks(resident_id);
            CREATE TABLE alert_drafts(
                id text PRIMARY KEY,
                request jsonb NOT NULL,
                source_event_id text,
                rule text,
                state text NOT NULL,
                created_at timestamptz NOT NULL,
                created_by text NOT NULL,
                decided_at timestamptz,
                decided_by text,
                reason text,
                alert_id text,
                updates_alert_id text
            );
            """),
        // The outbox in chunks, as on SQLite: an item is a chunk of one version's recipients on one channel (members as a
        // uuid array, with each member's attempts and throttles alongside once it is retried); receipts are appended by
        // binary COPY; times are Unix milliseconds as the workers compute them. Flags stay smallint (0/1) so that the
        // outbox's running sums read the same on both engines.
        (11, """
            CREATE TABLE outbox_items(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                alert_id text NOT NULL,
                version integer NOT NULL,
                channel text NOT NULL,
                priority integer NOT NULL,
                state smallint NOT NULL DEFAULT 0,
                next_attempt_at bigint NOT NULL,
                queued_at bigint NOT NULL,
                claimed_by text,
                lease_until bigint,
                maybe_sent smallint NOT NULL DEFAULT 0,
                size integer NOT NULL,
                recorded integer NOT NULL DEFAULT 0,
                members uuid[] NOT NULL,
                attempts integer[],
                throttles integer[],
                indexed smallint NOT NULL DEFAULT 1
            );
            CREATE INDEX ix_items_due ON outbox_items(channel, priority DESC, id) WHERE state = 0;
            CREATE INDEX ix_items_alert ON outbox_items(alert_id, version, channel, state);
            CREATE INDEX ix_items_sending ON outbox_items(lease_until) WHERE state = 7;
            CREATE INDEX ix_items_unindexed ON outbox_items(id) WHERE indexed = 0;
            CREATE TABLE outbox_receipts(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                item_id bigint NOT NULL,
                member integer NOT NULL,
                alert_id text NOT NULL,
                version integer NOT NULL,
                channel text NOT NULL,
                resident_id uuid NOT NULL,
                outcome smallint NOT NULL,
                at bigint NOT NULL,
                queued_at bigint NOT NULL,
                attempts integer NOT NULL,
                error text,
                maybe_reached smallint NOT NULL DEFAULT 0,
                throttled smallint NOT NULL DEFAULT 0
            );
            CREATE INDEX ix_receipts_item ON outbox_receipts(item_id, member);
            CREATE INDEX ix_receipts_alert ON outbox_receipts(alert_id, channel, resident_id, version);
            CREATE INDEX ix_receipts_resident ON outbox_receipts(resident_id, queued_at);
            CREATE INDEX ix_receipts_channel ON outbox_receipts(channel, queued_at);
            CREATE TABLE outbox_counts(
                alert_id text NOT NULL,
                version integer NOT NULL,
                channel text NOT NULL,
                queued_at bigint NOT NULL,
                targeted bigint NOT NULL DEFAULT 0,
                delivered bigint NOT NULL DEFAULT 0,
                failed bigint NOT NULL DEFAULT 0,
                gone bigint NOT NULL DEFAULT 0,
                expired bigint NOT NULL DEFAULT 0,
                superseded bigint NOT NULL DEFAULT 0,
                acknowledged bigint NOT NULL DEFAULT 0,
                PRIMARY KEY(alert_id, version, channel)
            );
            CREATE INDEX ix_counts_queued ON outbox_counts(queued_at);
            CREATE TABLE outbox_members(
                resident_id uuid NOT NULL,
                item_id bigint NOT NULL,
                PRIMARY KEY(resident_id, item_id)
            );
            """),
    ];
}
