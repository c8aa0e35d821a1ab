using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>audit_log</c> table in the embedded SQLite store.</summary>
internal sealed class SqliteAuditLogStore(Database database) : IAuditLogStore
{
    public async Task AppendAsync(DateTimeOffset at, string actor, string action, string? target, string? detail, IStoreTransaction? transaction,
        CancellationToken cancellationToken)
    {
        var inTransaction = transaction is null ? null : SqliteStoreTransaction.Of(transaction);
        var connection = inTransaction?.Connection ?? await database.OpenAsync(cancellationToken);
        try
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = inTransaction?.Transaction;
            cmd.CommandText = "INSERT INTO audit_log(at, actor, action, target, detail) VALUES ($at, $actor, $action, $target, $detail)";
            cmd.Parameters.AddWithValue("$at", at.ToString("O"));
            cmd.Parameters.AddWithValue("$actor", actor);
            cmd.Parameters.AddWithValue("$action", action);
            cmd.Parameters.AddWithValue("$target", (object?)target ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$detail", (object?)detail ?? DBNull.Value);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            if (inTransaction is null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <remarks>SQLite's lower() folds ASCII letters only, which is the contract.</remarks>
    public async Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT id, at, actor, action, target, detail FROM audit_log
            WHERE ($before IS NULL OR id < $before)
              AND ($action IS NULL OR substr(action, 1, length($action)) = $action)
              AND ($q IS NULL OR instr(lower(actor), lower($q)) > 0 OR instr(lower(COALESCE(target, '')), lower($q)) > 0
                   OR instr(lower(COALESCE(detail, '')), lower($q)) > 0)
            ORDER BY id DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$before", (object?)query.BeforeId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$action", (object?)query.ActionPrefix ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$q", (object?)query.Words ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", query.Limit);
        return await cmd.ListAsync(AuditRows.Entry, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string?>> FirstDetailsAsync(string action, IReadOnlyCollection<string> targets,
        CancellationToken cancellationToken)
    {
        if (targets.Count == 0)
        {
            return new Dictionary<string, string?>();
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        // json_each takes the whole list as one parameter (SQLite allows only so many); ix_audit_target answers each target.
        cmd.CommandText = """
            SELECT l.target, l.detail FROM audit_log l
            WHERE l.action = $action AND l.target IN (SELECT value FROM json_each($targets))
            ORDER BY l.id
            """;
        cmd.Parameters.AddWithValue("$action", action);
        cmd.Parameters.AddWithValue("$targets", System.Text.Json.JsonSerializer.Serialize(targets));
        return await AuditRows.FirstDetailsAsync(cmd, cancellationToken);
    }
}
