using System.Globalization;
using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>alert_drafts</c> table in the embedded SQLite store.</summary>
internal sealed class SqliteDraftStore(Database database) : IDraftStore
{
    private const string Columns = "id, request, source_event_id, rule, state, created_at, created_by, decided_at, decided_by, reason, alert_id, updates_alert_id";

    public async Task InsertAsync(StoredDraft draft, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO alert_drafts(id, request, source_event_id, rule, state, created_at, created_by, updates_alert_id)
            VALUES ($id, $request, $event, $rule, $state, $at, $by, $updates)
            """;
        SqliteParameters.Add(cmd, ("$id", draft.Id), ("$request", draft.Request), ("$event", draft.SourceEventId), ("$rule", draft.Rule), ("$state", draft.State),
            ("$at", draft.CreatedAt.ToString("O")), ("$by", draft.CreatedBy), ("$updates", draft.UpdatesAlertId));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredDraft>> ListAsync(string? state, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM alert_drafts WHERE ($state IS NULL OR state = $state) ORDER BY julianday(created_at) DESC, id LIMIT 200";
        SqliteParameters.Add(cmd, ("$state", state));
        return await ReadAsync(cmd, cancellationToken);
    }

    public async Task<StoredDraft?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM alert_drafts WHERE id = $id";
        SqliteParameters.Add(cmd, ("$id", id));
        return (await ReadAsync(cmd, cancellationToken)).FirstOrDefault();
    }

    public async Task<bool> DecideAsync(string id, string state, DateTimeOffset at, string decidedBy, string? reason, string? alertId,
        CancellationToken cancellationToken, IStoreTransaction? transaction = null)
    {
        const string Sql = """
            UPDATE alert_drafts SET state = $state, decided_at = $at, decided_by = $by, reason = $reason, alert_id = $alert
            WHERE id = $id AND state = 'pending'
            """;
        var inTransaction = transaction is null ? null : SqliteStoreTransaction.Of(transaction);
        await using var owned = inTransaction is null ? await database.OpenAsync(cancellationToken) : null;
        await using var cmd = inTransaction?.Command(Sql) ?? owned!.CreateCommand();
        cmd.CommandText = Sql;
        SqliteParameters.Add(cmd, ("$id", id), ("$state", state), ("$at", at.ToString("O")), ("$by", decidedBy), ("$reason", reason), ("$alert", alertId));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<List<StoredDraft>> ReadAsync(SqliteCommand cmd, CancellationToken cancellationToken)
    {
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredDraft>();
        while (await r.ReadAsync(cancellationToken))
        {
            string? Str(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            list.Add(new StoredDraft(r.GetString(0), r.GetString(1), Str(2), Str(3), r.GetString(4), Instant(r.GetString(5)), r.GetString(6),
                Str(7) is { } decided ? Instant(decided) : null, Str(8), Str(9), Str(10), Str(11)));
        }

        return list;
    }

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
