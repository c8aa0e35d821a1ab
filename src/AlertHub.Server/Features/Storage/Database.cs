using AlertHub.Server.Features.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Storage;

/// <summary>
/// The embedded SQLite store (WAL, foreign keys on). Each caller opens a pooled connection; SQLite
/// serialises writers, and the busy timeout makes concurrent writers wait instead of failing.
/// </summary>
internal sealed partial class Database : IDisposable
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public Database(IOptions<StorageOptions> options, IHostEnvironment environment, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        var directory = StoragePaths.DataDirectoryOf(options.Value, environment);
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, options.Value.DatabaseFile);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Default,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>
    /// SQLite has one writer at a time, and a writer that finds the lock taken sleeps in growing steps (up to 100 ms) before
    /// it tries again. The busiest writers (claims, outcomes, queueing) take this in-process lock first, so they queue in
    /// order without sleeping, and the file lock is free whenever one of them asks.
    /// </summary>
    /// <remarks>Store transactions are <see cref="WriterKind.Foreground"/> and go before the outbox workers' own writes
    /// (see <see cref="SqliteWriteGate"/>).</remarks>
    public Task<IDisposable> WriteLockAsync(WriterKind kind, CancellationToken cancellationToken) => _writeGate.EnterAsync(kind, cancellationToken);

    private readonly SqliteWriteGate _writeGate = new();

    public void Dispose()
    {
        _runningMarker?.Dispose();
    }

    private FileStream? _runningMarker;

    /// <summary>
    /// The file a running hub keeps locked (<c>alerthub.db.running</c>): an idle hub holds no SQLite lock in WAL mode, so
    /// this is how <c>migrate-store</c> tells that the hub still runs. The OS drops the lock when the process dies.
    /// </summary>
    public string RunningMarkerPath => FilePath + ".running";

    /// <summary>Takes the running marker for this process's lifetime; false when another process (or hub) holds it.</summary>
    public bool HoldRunningMarker()
    {
        try
        {
            _runningMarker ??= new FileStream(RunningMarkerPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public string FilePath { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Applies pending schema migrations in order; each runs in its own transaction.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        long current;
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
            current = (long)(await read.ExecuteScalarAsync(cancellationToken))!;
        }

        foreach (var (version, sql) in Migrations.All.Where(m => m.Version > current).OrderBy(m => m.Version))
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql + "; INSERT INTO schema_migrations(version, applied_at) VALUES ($v, $at);";
            cmd.Parameters.AddWithValue("$v", version);
            cmd.Parameters.AddWithValue("$at", _time.GetUtcNow().ToString("O"));
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
    }
}

internal static class Migrations
{
    public static readonly IReadOnlyList<(int Version, string Sql)> All =
    [
        (1, """
            CREATE TABLE residents(
                id TEXT PRIMARY KEY,
                token_hash BLOB NOT NULL,
                external_id TEXT,
                household_tags TEXT NOT NULL,
                language TEXT,
                tags TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE TABLE resident_places(
                resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                label TEXT,
                lat REAL NOT NULL,
                lon REAL NOT NULL,
                PRIMARY KEY(resident_id, idx));
            CREATE TABLE resident_endpoints(
                id INTEGER PRIMARY KEY,
                resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
                channel TEXT NOT NULL,
                address TEXT NOT NULL,
                secret TEXT,
                state TEXT NOT NULL DEFAULT 'active',
                created_at TEXT NOT NULL);
            CREATE INDEX ix_endpoints_resident ON resident_endpoints(resident_id, channel);
            CREATE TABLE resident_locations(
                resident_id TEXT PRIMARY KEY REFERENCES residents(id) ON DELETE CASCADE,
                lat REAL NOT NULL,
                lon REAL NOT NULL,
                expires_at TEXT NOT NULL);
            CREATE TABLE areas(
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                code TEXT,
                geometry TEXT NOT NULL,
                demo INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL);
            CREATE INDEX ix_areas_code ON areas(code);
            CREATE TABLE alerts(
                id TEXT PRIMARY KEY,
                current_version INTEGER NOT NULL,
                state TEXT NOT NULL,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL);
            CREATE TABLE alert_versions(
                alert_id TEXT NOT NULL REFERENCES alerts(id),
                version INTEGER NOT NULL,
                msg_type TEXT NOT NULL,
                issued_at TEXT NOT NULL,
                expires_at TEXT,
                priority INTEGER NOT NULL,
                recipients INTEGER NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY(alert_id, version));
            CREATE TABLE delivery_work(
                id INTEGER PRIMARY KEY,
                alert_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                resident_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                endpoint_id INTEGER,
                state INTEGER NOT NULL DEFAULT 0,
                priority INTEGER NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                queued_at INTEGER NOT NULL,
                delivered_at INTEGER,
                last_error TEXT,
                UNIQUE(alert_id, version, resident_id, channel));
            CREATE INDEX ix_work_pending ON delivery_work(channel, priority DESC, id) WHERE state = 0;
            CREATE INDEX ix_work_resident ON delivery_work(resident_id);
            CREATE TABLE api_keys(
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                key_hash BLOB NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                revoked_at TEXT);
            CREATE TABLE audit_log(
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT,
                detail TEXT)
            """),
        (2, """
            ALTER TABLE delivery_work ADD COLUMN throttled INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX ix_work_queued ON delivery_work(channel, queued_at);
            CREATE TABLE alert_acks(
                alert_id TEXT NOT NULL,
                resident_id TEXT NOT NULL,
                at TEXT NOT NULL,
                via TEXT NOT NULL,
                PRIMARY KEY(alert_id, resident_id))
            """),
        (3, """
            DROP INDEX ix_work_pending;
            CREATE INDEX ix_work_due ON delivery_work(channel, priority DESC, id, next_attempt_at) WHERE state = 0
            """),
        (4, """
            CREATE TABLE feed_documents(
                id INTEGER PRIMARY KEY,
                sha256 TEXT NOT NULL UNIQUE,
                source TEXT NOT NULL,
                origin TEXT,
                received_at TEXT NOT NULL,
                size INTEGER NOT NULL,
                raw BLOB NOT NULL,
                status TEXT NOT NULL,
                rejection_code TEXT,
                rejection_reason TEXT);
            CREATE INDEX ix_feed_documents_status ON feed_documents(status, received_at);
            CREATE TABLE feed_events(
                id TEXT PRIMARY KEY,
                document_id INTEGER NOT NULL REFERENCES feed_documents(id),
                source TEXT NOT NULL,
                family TEXT NOT NULL,
                interpreted INTEGER NOT NULL,
                series_key TEXT NOT NULL,
                revision TEXT NOT NULL,
                lifecycle TEXT NOT NULL,
                operational TEXT NOT NULL,
                category TEXT NOT NULL,
                severity INTEGER NOT NULL,
                issued_at TEXT NOT NULL,
                headline TEXT NOT NULL,
                codes TEXT NOT NULL,
                applied INTEGER NOT NULL,
                outcome TEXT,
                alert_id TEXT,
                event TEXT NOT NULL,
                received_at TEXT NOT NULL);
            CREATE INDEX ix_feed_events_received ON feed_events(received_at);
            CREATE INDEX ix_feed_events_series ON feed_events(series_key, revision);
            CREATE TABLE feed_series(
                series_key TEXT PRIMARY KEY,
                revision TEXT NOT NULL,
                event_id TEXT NOT NULL,
                state TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE TABLE rules(
                id INTEGER PRIMARY KEY CHECK (id = 1),
                json TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                updated_by TEXT NOT NULL);
            CREATE TABLE alert_drafts(
                id TEXT PRIMARY KEY,
                request TEXT NOT NULL,
                source_event_id TEXT,
                rule TEXT,
                state TEXT NOT NULL,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                decided_at TEXT,
                decided_by TEXT,
                reason TEXT,
                alert_id TEXT)
            """),
        (5, """
            CREATE TABLE cameras(
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                url TEXT NOT NULL,
                lat REAL NOT NULL,
                lon REAL NOT NULL,
                river TEXT,
                district TEXT,
                direction_degrees REAL,
                field_of_view_degrees REAL,
                snapshot_interval_seconds INTEGER NOT NULL,
                live_enabled INTEGER NOT NULL,
                status TEXT NOT NULL,
                status_since TEXT,
                last_image_at TEXT,
                normal_day_snapshot_id TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE TABLE camera_credentials(
                camera_id TEXT PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
                username TEXT NOT NULL,
                password TEXT NOT NULL);
            CREATE TABLE camera_snapshots(
                id TEXT PRIMARY KEY,
                camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
                at TEXT NOT NULL,
                at_ms INTEGER NOT NULL,
                size INTEGER NOT NULL,
                source TEXT NOT NULL);
            CREATE INDEX ix_camera_snapshots ON camera_snapshots(camera_id, at_ms);
            CREATE TABLE camera_timeline(
                id INTEGER PRIMARY KEY,
                camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
                at TEXT NOT NULL,
                status TEXT NOT NULL,
                previous TEXT NOT NULL,
                reason TEXT);
            CREATE INDEX ix_camera_timeline ON camera_timeline(camera_id, id)
            """),
        (6, """
            CREATE TABLE drone_photos(
                id TEXT PRIMARY KEY,
                received_at TEXT NOT NULL,
                uploaded_by TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size INTEGER NOT NULL,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                taken_at TEXT,
                taken_at_zone TEXT NOT NULL,
                make TEXT,
                model TEXT,
                lat REAL,
                lon REAL,
                altitude REAL,
                relative_altitude REAL,
                gimbal_yaw REAL,
                gimbal_pitch REAL,
                flight_yaw REAL,
                position_source TEXT,
                note TEXT);
            CREATE INDEX ix_drone_photos_received ON drone_photos(received_at);
            CREATE INDEX ix_drone_photos_sha256 ON drone_photos(sha256);
            CREATE TABLE alert_images(
                id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                source_id TEXT NOT NULL,
                caption TEXT,
                taken_at TEXT,
                created_at TEXT NOT NULL,
                created_by TEXT NOT NULL,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                bytes INTEGER NOT NULL,
                small_bytes INTEGER NOT NULL)
            """),
        (7, """
            CREATE TABLE staff_users(
                username TEXT PRIMARY KEY,
                display_name TEXT NOT NULL,
                roles TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE TABLE staff_sessions(
                id_hash BLOB PRIMARY KEY,
                username TEXT NOT NULL REFERENCES staff_users(username) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_at TEXT NOT NULL,
                last_seen_at TEXT NOT NULL);
            CREATE INDEX ix_staff_sessions_user ON staff_sessions(username);
            CREATE TABLE shelters(
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                name_en TEXT,
                lat REAL NOT NULL,
                lon REAL NOT NULL,
                status TEXT NOT NULL,
                capacity INTEGER,
                occupancy INTEGER,
                updated_at TEXT NOT NULL,
                updated_by TEXT NOT NULL);
            CREATE TABLE safety_replies(
                id INTEGER PRIMARY KEY,
                resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
                alert_id TEXT,
                status TEXT NOT NULL,
                note TEXT,
                lat REAL,
                lon REAL,
                at TEXT NOT NULL);
            CREATE INDEX ix_safety_alert ON safety_replies(alert_id, resident_id, id);
            CREATE INDEX ix_safety_resident ON safety_replies(resident_id, id)
            """),
        // Issuing a million-recipient alert: the endpoint index carries state and id, so the outbox insert never
        // visits the endpoint rows themselves.
        (8, """
            DROP INDEX ix_endpoints_resident;
            CREATE INDEX ix_endpoints_resident ON resident_endpoints(resident_id, channel, state, id);
            """),
        // The outbox says what is in flight: a claim moves rows to state 7 (Sending) under the claimant's name until
        // lease_until; maybe_reached marks failed attempts that may still have reached the address (a retraction follows).
        (9, """
            ALTER TABLE delivery_work ADD COLUMN claimed_by TEXT;
            ALTER TABLE delivery_work ADD COLUMN lease_until INTEGER;
            ALTER TABLE delivery_work ADD COLUMN maybe_reached INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX ix_work_sending ON delivery_work(lease_until) WHERE state = 7;
            """),
        // An update that needs a second person waits as a draft naming the alert it updates.
        (10, """
            ALTER TABLE alert_drafts ADD COLUMN updates_alert_id TEXT;
            """),
        // The outbox in chunks: an item is a chunk of one version's recipients on one channel (a million recipients are
        // a few thousand rows), every attempt's outcome is appended to receipts, running counts answer the board, and
        // outbox_members finds a resident's waiting work. delivery_work's history becomes receipts, its waiting rows items.
        (11, """
            CREATE TABLE outbox_items(
                id INTEGER PRIMARY KEY,
                alert_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                channel TEXT NOT NULL,
                priority INTEGER NOT NULL,
                state INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                queued_at INTEGER NOT NULL,
                claimed_by TEXT,
                lease_until INTEGER,
                maybe_sent INTEGER NOT NULL DEFAULT 0,
                size INTEGER NOT NULL,
                recorded INTEGER NOT NULL DEFAULT 0,
                members TEXT NOT NULL,
                attempts TEXT,
                throttles TEXT,
                indexed INTEGER NOT NULL DEFAULT 1);
            CREATE INDEX ix_items_due ON outbox_items(channel, priority DESC, id, next_attempt_at) WHERE state = 0;
            CREATE INDEX ix_items_alert ON outbox_items(alert_id, version, channel, state);
            CREATE INDEX ix_items_sending ON outbox_items(lease_until) WHERE state = 7;
            CREATE INDEX ix_items_unindexed ON outbox_items(id) WHERE indexed = 0;
            CREATE TABLE outbox_receipts(
                id INTEGER PRIMARY KEY,
                item_id INTEGER NOT NULL,
                member INTEGER NOT NULL,
                alert_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                channel TEXT NOT NULL,
                resident_id TEXT NOT NULL,
                outcome INTEGER NOT NULL,
                at INTEGER NOT NULL,
                queued_at INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                error TEXT,
                maybe_reached INTEGER NOT NULL DEFAULT 0,
                throttled INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX ix_receipts_item ON outbox_receipts(item_id, member);
            CREATE INDEX ix_receipts_alert ON outbox_receipts(alert_id, channel, resident_id, version);
            CREATE INDEX ix_receipts_resident ON outbox_receipts(resident_id, queued_at);
            CREATE INDEX ix_receipts_channel ON outbox_receipts(channel, queued_at);
            CREATE TABLE outbox_counts(
                alert_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                channel TEXT NOT NULL,
                queued_at INTEGER NOT NULL,
                targeted INTEGER NOT NULL DEFAULT 0,
                delivered INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0,
                gone INTEGER NOT NULL DEFAULT 0,
                expired INTEGER NOT NULL DEFAULT 0,
                superseded INTEGER NOT NULL DEFAULT 0,
                acknowledged INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY(alert_id, version, channel)) WITHOUT ROWID;
            CREATE INDEX ix_counts_queued ON outbox_counts(queued_at);
            CREATE TABLE outbox_members(
                resident_id TEXT NOT NULL,
                item_id INTEGER NOT NULL,
                PRIMARY KEY(resident_id, item_id)) WITHOUT ROWID;
            INSERT INTO outbox_receipts(item_id, member, alert_id, version, channel, resident_id, outcome, at, queued_at, attempts, error, maybe_reached, throttled)
                SELECT -id, 0, alert_id, version, channel, resident_id, state, COALESCE(delivered_at, queued_at), queued_at, attempts, last_error,
                       maybe_reached, throttled
                FROM delivery_work WHERE state IN (1, 2, 3, 4, 5, 6);
            INSERT INTO outbox_items(alert_id, version, channel, priority, state, next_attempt_at, queued_at, size, members, attempts, throttles, maybe_sent)
                SELECT alert_id, version, channel, priority, 0, next_attempt_at, queued_at, 1, json_array(resident_id), json_array(attempts),
                       json_array(throttled), (state = 7) OR maybe_reached = 1
                FROM delivery_work WHERE state IN (0, 7);
            INSERT INTO outbox_members(resident_id, item_id) SELECT json_extract(members, '$[0]'), id FROM outbox_items;
            INSERT INTO outbox_counts(alert_id, version, channel, queued_at, targeted, delivered, failed, gone, expired, superseded, acknowledged)
                SELECT alert_id, version, channel, MIN(queued_at), COUNT(*), SUM(state = 1), SUM(state = 2), SUM(state = 3), SUM(state = 4),
                       SUM(state = 5), SUM(state = 6)
                FROM delivery_work GROUP BY alert_id, version, channel;
            DROP TABLE delivery_work;
            """),
        // A large fan-out is queued in parts; a version whose queueing stopped part way (the process died) is finished at start.
        (12, """
            ALTER TABLE alert_versions ADD COLUMN queued_complete INTEGER NOT NULL DEFAULT 1;
            CREATE INDEX ix_versions_queueing ON alert_versions(alert_id, version) WHERE queued_complete = 0;
            """),
        // When the last part of a version was queued (ms since the epoch), for the board and load tests.
        (13, """
            ALTER TABLE alert_versions ADD COLUMN queued_in_full_at INTEGER;
            UPDATE alert_versions SET queued_in_full_at = CAST(strftime('%s', issued_at) AS INTEGER) * 1000;
            """),
        // 町字 points imported at run time (the resident page's name search, the names of drawn areas); one set at a time.
        (14, """
            CREATE TABLE town_points(
                id INTEGER PRIMARY KEY,
                town TEXT NOT NULL,
                koaza TEXT NOT NULL,
                district TEXT,
                lat REAL NOT NULL,
                lon REAL NOT NULL);
            CREATE TABLE town_point_sets(
                id INTEGER PRIMARY KEY CHECK (id = 1),
                count INTEGER NOT NULL,
                attribution TEXT,
                imported_at TEXT NOT NULL,
                imported_by TEXT NOT NULL)
            """),
        // Migration 15 is the console branch's (14 is the resident branch's): the numbers were handed out so parallel branches never collide.
        // The compose screen's starting texts per hazard and language, editable by admins (they were fixed in the page); the five
        // the page used to carry are the defaults ({area} names the alert's area; JMA's wording since 2016, no 余震). The audit log is looked up by target (who approved or bypassed an alert).
        (15, """
            CREATE TABLE compose_templates(
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                event TEXT NOT NULL,
                severity TEXT NOT NULL,
                urgency TEXT NOT NULL,
                certainty TEXT NOT NULL,
                texts TEXT NOT NULL,
                sort INTEGER NOT NULL,
                updated_at TEXT NOT NULL,
                updated_by TEXT NOT NULL);
            INSERT INTO compose_templates(id, name, event, severity, urgency, certainty, texts, sort, updated_at, updated_by) VALUES
                ('flood', '洪水（河川の氾濫）', '洪水', 'Severe', 'Immediate', 'Likely', '{"ja": {"headline": "河川が氾濫危険水位に到達", "body": "対象地域を流れる河川が氾濫危険水位に達しました。今後、氾濫するおそれがあります。", "instruction": "川に近づかず、高い所や頑丈な建物の上の階へ避難してください。"}, "ja-x-easy": {"headline": "川の 水が あふれそうです", "body": "ちかくの 川の 水が とても 多く なりました。あふれる かもしれません。", "instruction": "川に ちかづかないで ください。たかい ところへ にげて ください。"}, "en": {"headline": "River at flood danger level", "body": "A river in this area has reached the flood danger level and may overflow.", "instruction": "Keep away from the river and move to higher ground or an upper floor of a sturdy building."}}', 10, '2026-01-01T00:00:00.0000000+00:00', 'hub (default)'),
                ('landslide', '土砂災害', '土砂災害', 'Severe', 'Immediate', 'Likely', '{"ja": {"headline": "土砂災害警戒情報", "body": "土砂災害の危険度が非常に高まっています。", "instruction": "崖や沢から離れ、安全な場所へ避難してください。"}, "ja-x-easy": {"headline": "山が くずれる きけんが あります", "body": "大雨で 山や がけが くずれる かもしれません。", "instruction": "がけや 川から はなれて、安全な ところへ にげて ください。"}, "en": {"headline": "Landslide warning", "body": "The risk of landslides is very high.", "instruction": "Keep away from slopes and streams and evacuate to a safe place."}}', 20, '2026-01-01T00:00:00.0000000+00:00', 'hub (default)'),
                ('earthquake', '地震', '地震', 'Severe', 'Immediate', 'Observed', '{"ja": {"headline": "強い地震が発生しました", "body": "市内で強い揺れを観測しました。", "instruction": "身の安全を確保し、揺れが収まってから火の元を確認してください。今後1週間程度は、同じ程度の揺れの地震に注意してください。"}, "ja-x-easy": {"headline": "大きな 地震が ありました", "body": "この まちで 大きく ゆれました。", "instruction": "あたまを まもって ください。火を けして ください。また ゆれるかも しれません。"}, "en": {"headline": "Strong earthquake", "body": "Strong shaking was observed in the city.", "instruction": "Protect yourself first; check for fire once the shaking stops. For about a week, be ready for earthquakes of similar strength."}}', 30, '2026-01-01T00:00:00.0000000+00:00', 'hub (default)'),
                ('heavy-rain', '大雨', '大雨', 'Moderate', 'Expected', 'Likely', '{"ja": {"headline": "大雨警報", "body": "大雨による浸水や土砂災害に警戒してください。", "instruction": "早めの避難を心がけてください。"}, "ja-x-easy": {"headline": "雨が たくさん ふります", "body": "雨で 水が あふれたり、がけが くずれたり する かもしれません。", "instruction": "早めに にげる じゅんびを して ください。"}, "en": {"headline": "Heavy rain warning", "body": "Watch out for flooding and landslides caused by heavy rain.", "instruction": "Prepare to evacuate early."}}', 40, '2026-01-01T00:00:00.0000000+00:00', 'hub (default)'),
                ('evacuation', '避難指示（警戒レベル4）', '避難指示', 'Extreme', 'Immediate', 'Observed', '{"ja": {"headline": "【警戒レベル4】避難指示", "body": "{area}に避難指示を発令しました。", "instruction": "危険な場所から全員避難してください。"}, "ja-x-easy": {"headline": "にげて ください（レベル4）", "body": "{area}の 人は、にげて ください。", "instruction": "あぶない ところから すぐに にげて ください。"}, "en": {"headline": "[Level 4] Evacuation order", "body": "An evacuation order has been issued for this area.", "instruction": "Everyone must leave dangerous places now."}}', 50, '2026-01-01T00:00:00.0000000+00:00', 'hub (default)');
            CREATE INDEX ix_audit_target ON audit_log(target, action);
            """),
        // Publishing (16: numbers 14 and 15 are assigned to the resident and console branches): each call or SMS attempt with its Twilio outcome (per resident and channel, retries as later attempts),
        // and L-Alert documents with their revisions, the exact bytes of each publication and each node's acknowledgement.
        (16, """
            CREATE TABLE telephony_attempts(
                id INTEGER PRIMARY KEY,
                delivery_key TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                alert_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
                channel TEXT NOT NULL,
                address TEXT NOT NULL,
                language TEXT NOT NULL,
                spoken TEXT NOT NULL,
                state TEXT NOT NULL,
                due_at INTEGER,
                sid TEXT,
                status TEXT,
                answered_by TEXT,
                digits TEXT,
                acknowledged INTEGER NOT NULL DEFAULT 0,
                error_code TEXT,
                detail TEXT,
                sequence INTEGER NOT NULL DEFAULT -1,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE(delivery_key, attempt));
            CREATE INDEX ix_telephony_due ON telephony_attempts(due_at) WHERE state = 'scheduled';
            CREATE INDEX ix_telephony_alert ON telephony_attempts(alert_id, version, channel);
            CREATE INDEX ix_telephony_resident ON telephony_attempts(resident_id);
            CREATE TABLE lalert_documents(
                id TEXT PRIMARY KEY,
                scope TEXT NOT NULL,
                category TEXT NOT NULL,
                status TEXT NOT NULL,
                revision INTEGER NOT NULL,
                open INTEGER NOT NULL,
                state TEXT NOT NULL,
                first_created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE INDEX ix_lalert_documents_scope ON lalert_documents(scope, open);
            CREATE TABLE lalert_publications(
                seq INTEGER PRIMARY KEY,
                document_id TEXT NOT NULL,
                revision INTEGER NOT NULL,
                category TEXT NOT NULL,
                status TEXT NOT NULL,
                distribution_type TEXT NOT NULL,
                distribution_id TEXT NOT NULL,
                summary TEXT NOT NULL,
                alert_id TEXT,
                alert_version INTEGER,
                xml BLOB NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE(document_id, revision));
            CREATE TABLE lalert_applied(
                alert_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                publication_seq INTEGER,
                PRIMARY KEY(alert_id, version));
            CREATE TABLE lalert_sends(
                publication_seq INTEGER NOT NULL,
                node TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                code INTEGER,
                result TEXT,
                last_attempt_at TEXT,
                acknowledged_at TEXT,
                PRIMARY KEY(publication_seq, node));
            """),
        // Taking in a feed document looks it up by hash and joins its event: without this index that join read every stored
        // event. The poller's seen ids and LINE's webhook event ids were created on first use; a fresh hub now has them from
        // the start (IF NOT EXISTS: hubs that created them already keep theirs).
        (17, """
            CREATE INDEX ix_feed_events_document ON feed_events(document_id);
            CREATE TABLE IF NOT EXISTS feed_seen_entries(
                entry_id TEXT PRIMARY KEY,
                feed_url TEXT NOT NULL,
                data_url TEXT,
                outcome TEXT NOT NULL,
                seen_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_feed_seen_at ON feed_seen_entries(seen_at);
            CREATE TABLE IF NOT EXISTS line_webhook_events(event_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_line_webhook_events_received ON line_webhook_events(received_at);
            """),
        // The poller's ETag and Last-Modified per feed (Last-Modified in ms since the epoch), so a restart asks "changed since?".
        (18, """
            CREATE TABLE feed_poll_state(
                feed_url TEXT PRIMARY KEY,
                etag TEXT,
                last_modified INTEGER);
            """),
        // Who queues a version's later parts: NULL for the node that issued it, else the token of the node that took it
        // over. Each part is queued only while its queuer still owns the version, so a node that lost the queueing lock
        // without noticing (a database failover drops advisory locks) cannot queue a part twice beside its successor.
        (19, "ALTER TABLE alert_versions ADD COLUMN queueing_owner TEXT;"),
    ];
}
