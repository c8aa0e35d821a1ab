using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>compose_templates</c> table in PostgreSQL (texts as json, so the languages keep their order).</summary>
internal sealed class PostgresComposeTemplateStore(NpgsqlDataSource dataSource) : IComposeTemplateStore
{
    public async Task<IReadOnlyList<ComposeTemplateRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT id, name, event, severity, urgency, certainty, texts::text, sort, updated_at, updated_by FROM compose_templates
            ORDER BY sort, name COLLATE "C", id COLLATE "C"
            """);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<ComposeTemplateRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ComposeTemplateRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetInt32(7), reader.GetFieldValue<DateTimeOffset>(8), reader.GetString(9)));
        }

        return list;
    }

    public async Task<(int Sort, bool Created)> SaveAsync(ComposeTemplateRecord template, int? sort, CancellationToken cancellationToken)
    {
        // One statement: the insert either creates the row or (ON CONFLICT) updates it, and xmax = 0 says which, however many race.
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO compose_templates(id, name, event, severity, urgency, certainty, texts, sort, updated_at, updated_by)
            VALUES (@id, @name, @event, @severity, @urgency, @certainty, @texts,
                    COALESCE(@sort, (SELECT COALESCE(MAX(sort), 0) + 10 FROM compose_templates)), @at, @by)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, event = excluded.event, severity = excluded.severity, urgency = excluded.urgency,
                certainty = excluded.certainty, texts = excluded.texts, sort = COALESCE(@sort, compose_templates.sort), updated_at = excluded.updated_at,
                updated_by = excluded.updated_by
            RETURNING sort, xmax = 0
            """);
        cmd.Parameters.AddWithValue("id", template.Id);
        cmd.Parameters.AddWithValue("name", template.Name);
        cmd.Parameters.AddWithValue("event", template.Event);
        cmd.Parameters.AddWithValue("severity", template.Severity);
        cmd.Parameters.AddWithValue("urgency", template.Urgency);
        cmd.Parameters.AddWithValue("certainty", template.Certainty);
        cmd.Parameters.AddWithValue("texts", NpgsqlDbType.Json, template.TextsJson);
        cmd.Parameters.AddWithValue("sort", NpgsqlDbType.Integer, (object?)sort ?? DBNull.Value);
        cmd.Parameters.AddWithValue("at", template.UpdatedAt.ToUniversalTime());
        cmd.Parameters.AddWithValue("by", template.UpdatedBy);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetBoolean(1));
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM compose_templates WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
