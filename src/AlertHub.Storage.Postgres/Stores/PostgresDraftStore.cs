using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>alert_drafts</c> table in PostgreSQL.</summary>
internal sealed class PostgresDraftStore(NpgsqlDataSource dataSource) : IDraftStore
{
    private const string Columns =
        "id, request::text, source_event_id, rule, state, created_at, created_by, decided_at, decided_by, reason, alert_id, updates_alert_id";

    public async Task InsertAsync(StoredDraft draft, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO alert_drafts(id, request, source_event_id, rule, state, created_at, created_by, updates_alert_id)
            VALUES (@id, @request, @event, @rule, @state, @at, @by, @updates)
            """);
        PostgresParameters.Add(cmd, ("id", draft.Id), ("event", draft.SourceEventId), ("rule", draft.Rule), ("state", draft.State), ("at", draft.CreatedAt), ("by", draft.CreatedBy),
            ("updates", draft.UpdatesAlertId));
        cmd.Parameters.AddWithValue("request", NpgsqlDbType.Json, draft.Request);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredDraft>> ListAsync(string? state, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            $"SELECT {Columns} FROM alert_drafts WHERE (@state::text IS NULL OR state = @state) ORDER BY created_at DESC, id COLLATE \"C\" LIMIT 200");
        cmd.Parameters.AddWithValue("state", NpgsqlDbType.Text, (object?)state ?? DBNull.Value);
        return await ReadAsync(cmd, cancellationToken);
    }

    public async Task<StoredDraft?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM alert_drafts WHERE id = @id");
        PostgresParameters.Add(cmd, ("id", id));
        return (await ReadAsync(cmd, cancellationToken)).FirstOrDefault();
    }

    public async Task<bool> DecideAsync(string id, string state, DateTimeOffset at, string decidedBy, string? reason, string? alertId,
        CancellationToken cancellationToken, IStoreTransaction? transaction = null)
    {
        // The row lock of the UPDATE makes a second approver wait; read committed then re-checks state = 'pending' and finds it gone.
        const string Sql = """
            UPDATE alert_drafts SET state = @state, decided_at = @at, decided_by = @by, reason = @reason, alert_id = @alert
            WHERE id = @id AND state = 'pending'
            """;
        await using var cmd = transaction is null ? dataSource.CreateCommand(Sql) : PostgresStoreTransaction.Of(transaction).Command(Sql);
        PostgresParameters.Add(cmd, ("id", id), ("state", state), ("at", at), ("by", decidedBy), ("reason", reason), ("alert", alertId));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<List<StoredDraft>> ReadAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredDraft>();
        while (await r.ReadAsync(cancellationToken))
        {
            string? Str(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            list.Add(new StoredDraft(r.GetString(0), r.GetString(1), Str(2), Str(3), r.GetString(4), r.GetFieldValue<DateTimeOffset>(5), r.GetString(6),
                r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), Str(8), Str(9), Str(10), Str(11)));
        }

        return list;
    }
}
