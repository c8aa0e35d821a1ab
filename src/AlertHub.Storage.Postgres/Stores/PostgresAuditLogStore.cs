using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>audit_log</c> table in PostgreSQL.</summary>
internal sealed class PostgresAuditLogStore(NpgsqlDataSource dataSource) : IAuditLogStore
{
    public async Task AppendAsync(DateTimeOffset at, string actor, string action, string? target, string? detail, IStoreTransaction? transaction,
        CancellationToken cancellationToken)
    {
        const string Sql = "INSERT INTO audit_log(at, actor, action, target, detail) VALUES (@at, @actor, @action, @target, @detail)";
        await using var cmd = transaction is null ? dataSource.CreateCommand(Sql) : PostgresStoreTransaction.Of(transaction).Command(Sql);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        cmd.Parameters.AddWithValue("actor", actor);
        cmd.Parameters.AddWithValue("action", action);
        cmd.Parameters.AddWithValue("target", NpgsqlDbType.Text, (object?)target ?? DBNull.Value);
        cmd.Parameters.AddWithValue("detail", NpgsqlDbType.Text, (object?)detail ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <remarks>
    /// lower() under COLLATE "C" folds ASCII letters only, as SQLite's does; strpos and starts_with compare exactly, so % and _ in
    /// what staff type are just characters.
    /// </remarks>
    public async Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT id, at, actor, action, target, detail FROM audit_log
            WHERE (@before::bigint IS NULL OR id < @before)
              AND (@action::text IS NULL OR starts_with(action, @action))
              AND (@q::text IS NULL OR strpos(lower(actor COLLATE "C"), lower(@q COLLATE "C")) > 0
                   OR strpos(lower(COALESCE(target, '') COLLATE "C"), lower(@q COLLATE "C")) > 0
                   OR strpos(lower(COALESCE(detail, '') COLLATE "C"), lower(@q COLLATE "C")) > 0)
            ORDER BY id DESC LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("before", NpgsqlDbType.Bigint, (object?)query.BeforeId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("action", NpgsqlDbType.Text, (object?)query.ActionPrefix ?? DBNull.Value);
        cmd.Parameters.AddWithValue("q", NpgsqlDbType.Text, (object?)query.Words ?? DBNull.Value);
        cmd.Parameters.AddWithValue("limit", query.Limit);
        return await cmd.ListAsync(AuditRows.Entry, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string?>> FirstDetailsAsync(string action, IReadOnlyCollection<string> targets,
        CancellationToken cancellationToken)
    {
        if (targets.Count == 0)
        {
            return new Dictionary<string, string?>();
        }

        await using var cmd = dataSource.CreateCommand("""
            SELECT DISTINCT ON (target) target, detail FROM audit_log
            WHERE action = @action AND target = ANY(@targets)
            ORDER BY target, id
            """);
        cmd.Parameters.AddWithValue("action", action);
        cmd.Parameters.AddWithValue("targets", targets.ToArray());
        return await AuditRows.FirstDetailsAsync(cmd, cancellationToken);
    }
}
