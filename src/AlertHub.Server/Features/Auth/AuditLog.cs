using AlertHub.Server.Features.Storage;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;

namespace AlertHub.Server.Features.Auth;

internal sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string? Target, string? Detail);

/// <summary>Who did what, when: every state-changing staff call writes one row.</summary>
internal sealed class AuditLog(Database database, TimeProvider time)
{
    /// <param name="transaction">The transaction of the change being audited, so that both commit or neither does.</param>
    public async Task WriteAsync(string actor, string action, string? target, string? detail, CancellationToken cancellationToken,
        IStoreTransaction? transaction = null)
    {
        var inTransaction = transaction is null ? null : SqliteStoreTransaction.Of(transaction);
        var connection = inTransaction?.Connection ?? await database.OpenAsync(cancellationToken);
        try
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = inTransaction?.Transaction;
            cmd.CommandText = "INSERT INTO audit_log(at, actor, action, target, detail) VALUES ($at, $actor, $action, $target, $detail)";
            cmd.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O"));
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

    /// <param name="actionPrefix">Only actions starting with this (alerts., staff.signin).</param>
    /// <param name="words">Only entries whose actor, target or detail contain this.</param>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(int limit, long? beforeId, CancellationToken cancellationToken, string? actionPrefix = null,
        string? words = null)
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
        cmd.Parameters.AddWithValue("$before", (object?)beforeId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$action", string.IsNullOrWhiteSpace(actionPrefix) ? DBNull.Value : actionPrefix.Trim());
        cmd.Parameters.AddWithValue("$q", string.IsNullOrWhiteSpace(words) ? DBNull.Value : words.Trim());
        cmd.Parameters.AddWithValue("$limit", limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new AuditEntry(reader.GetInt64(0), DateTimeOffset.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return list;
    }
}
