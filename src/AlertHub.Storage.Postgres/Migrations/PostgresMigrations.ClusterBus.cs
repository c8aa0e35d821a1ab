namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 115–119: what nodes need to hear each other's changes (the resident change sequence).</summary>
    private static readonly (int Version, string Sql)[] ClusterBus =
    [
        // Every resident change takes the next number (PostgresResidentStore, under one advisory lock so that numbers
        // follow commit order); deletions leave a tombstone with their number. Existing residents are numbered here,
        // in no particular order: nodes load the index in full at start anyway. The default covers a write path that
        // forgot to number its change (migrate-store's copy among them), so a node still hears of it.
        (115, """
            CREATE SEQUENCE resident_change_seq;
            ALTER TABLE residents ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('resident_change_seq');
            CREATE INDEX ix_residents_change_seq ON residents(change_seq);
            CREATE TABLE resident_tombstones(
                resident_id uuid PRIMARY KEY,
                change_seq bigint NOT NULL,
                deleted_at timestamptz NOT NULL
            );
            CREATE INDEX ix_resident_tombstones_change_seq ON resident_tombstones(change_seq);
            """),
    ];
}
