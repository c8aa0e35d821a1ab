using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>compose_templates</c> table in the embedded SQLite store (migration 15 writes the defaults).</summary>
internal sealed class SqliteComposeTemplateStore(Database database) : IComposeTemplateStore
{
    public async Task<IReadOnlyList<ComposeTemplateRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, event, severity, urgency, certainty, texts, sort, updated_at, updated_by FROM compose_templates ORDER BY sort, name, id";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<ComposeTemplateRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ComposeTemplateRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetInt32(7),
                DateTimeOffset.Parse(reader.GetString(8), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(9)));
        }

        return list;
    }

    public async Task<(int Sort, bool Created)> SaveAsync(ComposeTemplateRecord template, int? sort, CancellationToken cancellationToken)
    {
        // One write transaction, so that whether the template existed is still true when it is written.
        await using var tx = await SqliteStoreTransaction.BeginAsync(database, cancellationToken);
        await using var cmd = tx.Command("""
            SELECT EXISTS(SELECT 1 FROM compose_templates WHERE id = $id);
            INSERT INTO compose_templates(id, name, event, severity, urgency, certainty, texts, sort, updated_at, updated_by)
            VALUES ($id, $name, $event, $severity, $urgency, $certainty, $texts,
                    COALESCE($sort, (SELECT COALESCE(MAX(sort), 0) + 10 FROM compose_templates)), $at, $by)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, event = excluded.event, severity = excluded.severity, urgency = excluded.urgency,
                certainty = excluded.certainty, texts = excluded.texts, sort = COALESCE($sort, compose_templates.sort), updated_at = excluded.updated_at,
                updated_by = excluded.updated_by;
            SELECT sort FROM compose_templates WHERE id = $id;
            """);
        cmd.Parameters.AddWithValue("$id", template.Id);
        cmd.Parameters.AddWithValue("$name", template.Name);
        cmd.Parameters.AddWithValue("$event", template.Event);
        cmd.Parameters.AddWithValue("$severity", template.Severity);
        cmd.Parameters.AddWithValue("$urgency", template.Urgency);
        cmd.Parameters.AddWithValue("$certainty", template.Certainty);
        cmd.Parameters.AddWithValue("$texts", template.TextsJson);
        cmd.Parameters.AddWithValue("$sort", (object?)sort ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", template.UpdatedAt.ToString("O"));
        cmd.Parameters.AddWithValue("$by", template.UpdatedBy);
        bool existed;
        int stored;
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            existed = reader.GetInt64(0) == 1;
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            stored = reader.GetInt32(0);
        }

        await tx.CommitAsync(cancellationToken);
        return (stored, !existed);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM compose_templates WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
