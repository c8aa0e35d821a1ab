using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The Lアラート documents (state as jsonb), publications (their exact bytes as bytea), applied alert versions and sends in PostgreSQL.</summary>
internal sealed class PostgresLAlertRecordStore(NpgsqlDataSource dataSource) : ILAlertRecordStore
{
    /// <summary>The first key of the revision locks ("LA"): a two-key advisory lock never meets the migrator's one-key lock.</summary>
    private const int RevisionLockSpace = 0x4C41;

    /// <remarks>
    /// A transaction-scoped advisory lock on the scope, taken before anything is read: a second publisher of the scope (this node
    /// or another) waits until the first commits and then reads the revision it wrote. A row lock could not do this for a scope
    /// with no document yet, where both would start revision 1 of two new documents.
    /// </remarks>
    public async Task<IStoreTransaction> BeginRevisionAsync(string scope, CancellationToken cancellationToken)
    {
        var tx = await PostgresStoreTransaction.BeginAsync(dataSource, cancellationToken);
        try
        {
            await using var cmd = tx.Command("SELECT pg_advisory_xact_lock(@space, hashtext(@scope))");
            cmd.Parameters.AddWithValue("space", RevisionLockSpace);
            cmd.Parameters.AddWithValue("scope", scope);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            return tx;
        }
        catch
        {
            await tx.DisposeAsync();
            throw;
        }
    }

    public async Task<(bool Applied, long? Seq)> FindAppliedAsync(IStoreTransaction transaction, string alertId, int version, CancellationToken cancellationToken)
    {
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command("SELECT publication_seq FROM lalert_applied WHERE alert_id = @a AND version = @v");
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("v", version);
        return await LAlertRows.AppliedAsync(cmd, cancellationToken);
    }

    public async Task<LAlertOpenDocument?> FindOpenDocumentAsync(IStoreTransaction transaction, string scope, CancellationToken cancellationToken)
    {
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command(
            "SELECT id, revision, state::text, first_created_at FROM lalert_documents WHERE scope = @scope AND open ORDER BY updated_at DESC LIMIT 1");
        cmd.Parameters.AddWithValue("scope", scope);
        return await cmd.FirstOrDefaultAsync(LAlertRows.OpenDocument, cancellationToken);
    }

    public async Task SaveStateAsync(IStoreTransaction transaction, string documentId, string state, CancellationToken cancellationToken)
    {
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command("UPDATE lalert_documents SET state = @state WHERE id = @id");
        cmd.Parameters.AddWithValue("state", NpgsqlDbType.Jsonb, state);
        cmd.Parameters.AddWithValue("id", documentId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> PublishAsync(IStoreTransaction transaction, LAlertNewRevision revision, CancellationToken cancellationToken)
    {
        var tx = PostgresStoreTransaction.Of(transaction);
        var at = revision.At.ToUniversalTime();
        await using (var document = tx.Command("""
            INSERT INTO lalert_documents(id, scope, category, status, revision, open, state, first_created_at, updated_at)
            VALUES (@id, @scope, @category, @status, @revision, @open, @state, @first, @now)
            ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, open = excluded.open, state = excluded.state, updated_at = excluded.updated_at
            """))
        {
            document.Parameters.AddWithValue("id", revision.DocumentId);
            document.Parameters.AddWithValue("scope", revision.Scope);
            document.Parameters.AddWithValue("category", revision.Category);
            document.Parameters.AddWithValue("status", revision.Status);
            document.Parameters.AddWithValue("revision", revision.Revision);
            document.Parameters.AddWithValue("open", revision.StillOpen);
            document.Parameters.AddWithValue("state", NpgsqlDbType.Jsonb, revision.State);
            document.Parameters.AddWithValue("first", revision.FirstCreated.ToUniversalTime());
            document.Parameters.AddWithValue("now", at);
            await document.ExecuteNonQueryAsync(cancellationToken);
        }

        long seq;
        await using (var insert = tx.Command("""
            INSERT INTO lalert_publications(document_id, revision, category, status, distribution_type, distribution_id, summary, alert_id, alert_version, xml, created_at)
            VALUES (@doc, @rev, @category, @status, @type, @dist, @summary, @alert, @version, @xml, @now) RETURNING seq
            """))
        {
            insert.Parameters.AddWithValue("doc", revision.DocumentId);
            insert.Parameters.AddWithValue("rev", revision.Revision);
            insert.Parameters.AddWithValue("category", revision.Category);
            insert.Parameters.AddWithValue("status", revision.Status);
            insert.Parameters.AddWithValue("type", revision.DistributionType);
            insert.Parameters.AddWithValue("dist", revision.DistributionId);
            insert.Parameters.AddWithValue("summary", revision.Summary);
            insert.Parameters.AddWithValue("alert", NpgsqlDbType.Text, (object?)revision.AlertId ?? DBNull.Value);
            insert.Parameters.AddWithValue("version", NpgsqlDbType.Integer, (object?)revision.AlertVersion ?? DBNull.Value);
            insert.Parameters.AddWithValue("xml", NpgsqlDbType.Bytea, revision.Xml);
            insert.Parameters.AddWithValue("now", at);
            seq = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        }

        if (revision.Nodes.Count > 0)
        {
            await using var sends = tx.Command("INSERT INTO lalert_sends(publication_seq, node, state) SELECT @s, unnest(@nodes), 'pending'");
            sends.Parameters.AddWithValue("s", seq);
            sends.Parameters.AddWithValue("nodes", revision.Nodes.ToArray());
            await sends.ExecuteNonQueryAsync(cancellationToken);
        }

        return seq;
    }

    public async Task MarkAppliedAsync(IStoreTransaction transaction, string alertId, int version, long? seq, CancellationToken cancellationToken)
    {
        await using var cmd = PostgresStoreTransaction.Of(transaction).Command("INSERT INTO lalert_applied(alert_id, version, publication_seq) VALUES (@a, @v, @s)");
        cmd.Parameters.AddWithValue("a", alertId);
        cmd.Parameters.AddWithValue("v", version);
        cmd.Parameters.AddWithValue("s", NpgsqlDbType.Bigint, (object?)seq ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<(long Seq, int Revision, byte[] Xml)>> PendingAsync(string node, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT p.seq, p.revision, p.xml FROM lalert_sends s JOIN lalert_publications p ON p.seq = s.publication_seq
            WHERE s.node = @n AND s.state = 'pending' ORDER BY p.seq LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("n", node);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(LAlertRows.Pending, cancellationToken);
    }

    public async Task RecordSendAsync(long seq, string node, string state, int? code, string result, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE lalert_sends SET state = @state, attempts = attempts + 1, code = @code, result = @result, last_attempt_at = @now,
                acknowledged_at = CASE WHEN @state = 'acknowledged' THEN @now ELSE acknowledged_at END
            WHERE publication_seq = @s AND node = @n
            """);
        cmd.Parameters.AddWithValue("state", state);
        cmd.Parameters.AddWithValue("code", NpgsqlDbType.Integer, (object?)code ?? DBNull.Value);
        cmd.Parameters.AddWithValue("result", result);
        cmd.Parameters.AddWithValue("now", at.ToUniversalTime());
        cmd.Parameters.AddWithValue("s", seq);
        cmd.Parameters.AddWithValue("n", node);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(LAlertSendRecord Send, int Revision)?> FindSendAsync(long seq, string node, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {LAlertRows.SendColumns}, p.revision FROM lalert_sends s JOIN lalert_publications p ON p.seq = s.publication_seq
            WHERE s.publication_seq = @s AND s.node = @n
            """);
        cmd.Parameters.AddWithValue("s", seq);
        cmd.Parameters.AddWithValue("n", node);
        return await cmd.FirstOrDefaultAsync<(LAlertSendRecord, int)?>(r => LAlertRows.SendWithRevision(r), cancellationToken);
    }

    public async Task<IReadOnlyList<LAlertPublicationRecord>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {LAlertRows.PublicationColumns}
            FROM lalert_publications ORDER BY seq DESC LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("limit", limit);
        return await cmd.ListAsync(LAlertRows.Publication, cancellationToken);
    }

    public async Task<IReadOnlyList<LAlertSendRecord>> SendsAsync(IReadOnlyCollection<long> seqs, CancellationToken cancellationToken)
    {
        if (seqs.Count == 0)
        {
            return [];
        }

        await using var cmd = dataSource.CreateCommand($"""
            SELECT {LAlertRows.SendColumns} FROM lalert_sends s WHERE s.publication_seq = ANY(@seqs) ORDER BY s.publication_seq, s.node COLLATE "C"
            """);
        cmd.Parameters.AddWithValue("seqs", seqs.ToArray());
        return await cmd.ListAsync(LAlertRows.Send, cancellationToken);
    }

    public async Task<byte[]?> XmlAsync(long seq, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT xml FROM lalert_publications WHERE seq = @s");
        cmd.Parameters.AddWithValue("s", seq);
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }
}
