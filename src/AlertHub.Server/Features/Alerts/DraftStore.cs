using System.Text.Json;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Alerts;

/// <summary>Alerts waiting for approval: nothing is written to the outbox until an approver issues them.</summary>
internal sealed class DraftStore(Database database, TimeProvider time)
{
    /// <param name="updatesAlertId">For an update waiting for approval: the alert it updates.</param>
    public async Task<AlertDraft> CreateAsync(AlertRequest request, string? sourceEventId, string? rule, string createdBy, CancellationToken cancellationToken,
        string? updatesAlertId = null)
    {
        var draft = new AlertDraft(Guid.NewGuid().ToString("N"), request, sourceEventId, rule, "pending", time.GetUtcNow(), createdBy, null, null, null, null)
        {
            UpdatesAlertId = updatesAlertId,
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO alert_drafts(id, request, source_event_id, rule, state, created_at, created_by, updates_alert_id)
            VALUES ($id, $request, $event, $rule, 'pending', $at, $by, $updates)
            """;
        cmd.Parameters.AddWithValue("$updates", (object?)updatesAlertId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$id", draft.Id);
        cmd.Parameters.AddWithValue("$request", JsonSerializer.Serialize(request, Json.Options));
        cmd.Parameters.AddWithValue("$event", (object?)sourceEventId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$rule", (object?)rule ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", draft.CreatedAt.ToString("O"));
        cmd.Parameters.AddWithValue("$by", createdBy);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        return draft;
    }

    public async Task<IReadOnlyList<AlertDraft>> ListAsync(string? state, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT * FROM alert_drafts WHERE ($state IS NULL OR state = $state) ORDER BY created_at DESC LIMIT 200";
        cmd.Parameters.AddWithValue("$state", (object?)state ?? DBNull.Value);
        return await ReadAsync(cmd, cancellationToken);
    }

    public async Task<AlertDraft?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT * FROM alert_drafts WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return (await ReadAsync(cmd, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Moves a pending draft to approved/rejected; false if it was not pending (someone decided first).</summary>
    public async Task<bool> DecideAsync(string id, string state, string decidedBy, string? reason, string? alertId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            UPDATE alert_drafts SET state = $state, decided_at = $at, decided_by = $by, reason = $reason, alert_id = $alert
            WHERE id = $id AND state = 'pending'
            """;
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$state", state);
        cmd.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O"));
        cmd.Parameters.AddWithValue("$by", decidedBy);
        cmd.Parameters.AddWithValue("$reason", (object?)reason ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$alert", (object?)alertId ?? DBNull.Value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<List<AlertDraft>> ReadAsync(Microsoft.Data.Sqlite.SqliteCommand cmd, CancellationToken cancellationToken)
    {
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<AlertDraft>();
        while (await r.ReadAsync(cancellationToken))
        {
            string? Str(string name) => r.IsDBNull(r.GetOrdinal(name)) ? null : r.GetString(r.GetOrdinal(name));
            list.Add(new AlertDraft(Str("id")!, JsonSerializer.Deserialize<AlertRequest>(Str("request")!, Json.Options)!, Str("source_event_id"), Str("rule"),
                Str("state")!, DateTimeOffset.Parse(Str("created_at")!), Str("created_by")!,
                Str("decided_at") is { } d ? DateTimeOffset.Parse(d) : null, Str("decided_by"), Str("reason"), Str("alert_id"))
            {
                UpdatesAlertId = Str("updates_alert_id"),
            });
        }

        return list;
    }
}
