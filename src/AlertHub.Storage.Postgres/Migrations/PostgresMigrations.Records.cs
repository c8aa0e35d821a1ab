namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 90–109: the audit log, compose templates, telephony attempts and L-Alert documents and publications.</summary>
    private static readonly (int Version, string Sql)[] Records =
    [
        (90, """
            CREATE TABLE audit_log(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at timestamptz NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                target text,
                detail text
            );
            CREATE INDEX ix_audit_target ON audit_log(target, action);
            """),

        // The texts are json, not jsonb: jsonb would sort the languages by key length, and the compose screen shows them in the
        // order saved (ja, やさしい日本語, en). The five defaults are the SQLite store's, word for word.
        (91, """
            CREATE TABLE compose_templates(
                id text PRIMARY KEY,
                name text NOT NULL,
                event text NOT NULL,
                severity text NOT NULL,
                urgency text NOT NULL,
                certainty text NOT NULL,
                texts json NOT NULL,
                sort integer NOT NULL,
                updated_at timestamptz NOT NULL,
                updated_by text NOT NULL
            );
            INSERT INTO compose_templates(id, name, event, severity, urgency, certainty, texts, sort, updated_at, updated_by) VALUES
            ('flood', '洪水（河川の氾濫）', '洪水', 'Severe', 'Immediate', 'Likely', '{"ja": {"headline": "河川が氾濫危険水位に到達", "body": "対象地域を流れる河川が氾濫危険水位に達しました。今後、氾濫するおそれがあります。", "instruction": "川に近づかず、高い所や頑丈な建物の上の階へ避難してください。"}, "ja-x-easy": {"headline": "川の 水が あふれそうです", "body": "ちかくの 川の 水が とても 多く なりました。あふれる かもしれません。", "instruction": "川に ちかづかないで ください。たかい ところへ にげて ください。"}, "en": {"headline": "River at flood danger level", "body": "A river in this area has reached the flood danger level and may overflow.", "instruction": "Keep away from the river and move to higher ground or an upper floor of a sturdy building."}}', 10, '2026-01-01T00:00:00+00:00', 'hub (default)'),
            ('landslide', '土砂災害', '土砂災害', 'Severe', 'Immediate', 'Likely', '{"ja": {"headline": "土砂災害警戒情報", "body": "土砂災害の危険度が非常に高まっています。", "instruction": "崖や沢から離れ、安全な場所へ避難してください。"}, "ja-x-easy": {"headline": "山が くずれる きけんが あります", "body": "大雨で 山や がけが くずれる かもしれません。", "instruction": "がけや 川から はなれて、安全な ところへ にげて ください。"}, "en": {"headline": "Landslide warning", "body": "The risk of landslides is very high.", "instruction": "Keep away from slopes and streams and evacuate to a safe place."}}', 20, '2026-01-01T00:00:00+00:00', 'hub (default)'),
            ('earthquake', '地震', '地震', 'Severe', 'Immediate', 'Observed', '{"ja": {"headline": "強い地震が発生しました", "body": "市内で強い揺れを観測しました。", "instruction": "身の安全を確保し、揺れが収まってから火の元を確認してください。今後1週間程度は、同じ程度の揺れの地震に注意してください。"}, "ja-x-easy": {"headline": "大きな 地震が ありました", "body": "この まちで 大きく ゆれました。", "instruction": "あたまを まもって ください。火を けして ください。また ゆれるかも しれません。"}, "en": {"headline": "Strong earthquake", "body": "Strong shaking was observed in the city.", "instruction": "Protect yourself first; check for fire once the shaking stops. For about a week, be ready for earthquakes of similar strength."}}', 30, '2026-01-01T00:00:00+00:00', 'hub (default)'),
            ('heavy-rain', '大雨', '大雨', 'Moderate', 'Expected', 'Likely', '{"ja": {"headline": "大雨警報", "body": "大雨による浸水や土砂災害に警戒してください。", "instruction": "早めの避難を心がけてください。"}, "ja-x-easy": {"headline": "雨が たくさん ふります", "body": "雨で 水が あふれたり、がけが くずれたり する かもしれません。", "instruction": "早めに にげる じゅんびを して ください。"}, "en": {"headline": "Heavy rain warning", "body": "Watch out for flooding and landslides caused by heavy rain.", "instruction": "Prepare to evacuate early."}}', 40, '2026-01-01T00:00:00+00:00', 'hub (default)'),
            ('evacuation', '避難指示（警戒レベル4）', '避難指示', 'Extreme', 'Immediate', 'Observed', '{"ja": {"headline": "【警戒レベル4】避難指示", "body": "{area}に避難指示を発令しました。", "instruction": "危険な場所から全員避難してください。"}, "ja-x-easy": {"headline": "にげて ください（レベル4）", "body": "{area}の 人は、にげて ください。", "instruction": "あぶない ところから すぐに にげて ください。"}, "en": {"headline": "[Level 4] Evacuation order", "body": "An evacuation order has been issued for this area.", "instruction": "Everyone must leave dangerous places now."}}', 50, '2026-01-01T00:00:00+00:00', 'hub (default)');
            """),

        // No foreign key to residents (another group's table, and created in its own range): forgetting a resident removes their
        // attempts through ITelephonyAttemptStore.ForgetResidentAsync in the same transaction.
        (92, """
            CREATE TABLE telephony_attempts(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                delivery_key text NOT NULL,
                attempt integer NOT NULL,
                alert_id text NOT NULL,
                version integer NOT NULL,
                resident_id uuid NOT NULL,
                channel text NOT NULL,
                address text NOT NULL,
                language text NOT NULL,
                spoken text NOT NULL,
                state text NOT NULL,
                due_at timestamptz,
                sid text,
                status text,
                answered_by text,
                digits text,
                acknowledged boolean NOT NULL DEFAULT false,
                error_code text,
                detail text,
                sequence integer NOT NULL DEFAULT -1,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                UNIQUE(delivery_key, attempt)
            );
            CREATE INDEX ix_telephony_due ON telephony_attempts(channel, due_at) WHERE state = 'scheduled';
            CREATE INDEX ix_telephony_alert ON telephony_attempts(alert_id, version, channel);
            CREATE INDEX ix_telephony_resident ON telephony_attempts(resident_id);
            """),

        // The publisher's state is read back only by the publisher, as JSON: jsonb. The published bytes are bytea, kept exactly.
        (93, """
            CREATE TABLE lalert_documents(
                id text PRIMARY KEY,
                scope text NOT NULL,
                category text NOT NULL,
                status text NOT NULL,
                revision integer NOT NULL,
                open boolean NOT NULL,
                state jsonb NOT NULL,
                first_created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX ix_lalert_documents_scope ON lalert_documents(scope, updated_at) WHERE open;
            CREATE TABLE lalert_publications(
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                document_id text NOT NULL,
                revision integer NOT NULL,
                category text NOT NULL,
                status text NOT NULL,
                distribution_type text NOT NULL,
                distribution_id text NOT NULL,
                summary text NOT NULL,
                alert_id text,
                alert_version integer,
                xml bytea NOT NULL,
                created_at timestamptz NOT NULL,
                UNIQUE(document_id, revision)
            );
            CREATE TABLE lalert_applied(
                alert_id text NOT NULL,
                version integer NOT NULL,
                publication_seq bigint REFERENCES lalert_publications(seq),
                PRIMARY KEY(alert_id, version)
            );
            CREATE TABLE lalert_sends(
                publication_seq bigint NOT NULL REFERENCES lalert_publications(seq),
                node text NOT NULL,
                state text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                code integer,
                result text,
                last_attempt_at timestamptz,
                acknowledged_at timestamptz,
                PRIMARY KEY(publication_seq, node)
            );
            CREATE INDEX ix_lalert_sends_pending ON lalert_sends(node, publication_seq) WHERE state = 'pending';
            """),
    ];
}
