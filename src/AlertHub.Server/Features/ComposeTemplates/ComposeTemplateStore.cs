using System.Text.Json;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.ComposeTemplates;

/// <summary>
/// A starting text for the compose screen (避難指示, 洪水 …): the hazard's CAP fields and a headline, body and instruction per
/// language. Staff edit it before sending; the hub never sends a template by itself (feed rules have their own
/// resident-facing templates, built from the event's data: Features/Rules/Templates).
/// </summary>
internal sealed record ComposeTemplate(
    string Id, string Name, string Event, Severity Severity, Urgency Urgency, Certainty Certainty, Dictionary<string, AlertText> Texts, int Sort,
    DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>PUT /api/compose-templates/{id}.</summary>
internal sealed record ComposeTemplateRequest(string? Name, string? Event, Severity? Severity, Urgency? Urgency, Certainty? Certainty,
    Dictionary<string, AlertText>? Texts, int? Sort);

/// <summary>The templates, in the hub's database (migration 13 writes the defaults; admins change them).</summary>
internal sealed class ComposeTemplateStore(Database database, TimeProvider time)
{
    public async Task<IReadOnlyList<ComposeTemplate>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, event, severity, urgency, certainty, texts, sort, updated_at, updated_by FROM compose_templates ORDER BY sort, name";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<ComposeTemplate>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ComposeTemplate(reader.GetString(0), reader.GetString(1), reader.GetString(2), Enum.Parse<Severity>(reader.GetString(3)),
                Enum.Parse<Urgency>(reader.GetString(4)), Enum.Parse<Certainty>(reader.GetString(5)),
                JsonSerializer.Deserialize<Dictionary<string, AlertText>>(reader.GetString(6), Json.Options) ?? [], reader.GetInt32(7),
                DateTimeOffset.Parse(reader.GetString(8)), reader.GetString(9)));
        }

        return list;
    }

    /// <summary>Creates or replaces a template; returns it as stored and whether it is new.</summary>
    public async Task<(ComposeTemplate Template, bool Created)> SaveAsync(string id, string name, string eventName, Severity severity, Urgency urgency,
        Certainty certainty, Dictionary<string, AlertText> texts, int? sort, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        // A new template goes to the end of the list unless a place is given; an edited one keeps its place.
        cmd.CommandText = """
            SELECT EXISTS(SELECT 1 FROM compose_templates WHERE id = $id);
            INSERT INTO compose_templates(id, name, event, severity, urgency, certainty, texts, sort, updated_at, updated_by)
            VALUES ($id, $name, $event, $severity, $urgency, $certainty, $texts,
                    COALESCE($sort, (SELECT COALESCE(MAX(sort), 0) + 10 FROM compose_templates)), $at, $by)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, event = excluded.event, severity = excluded.severity, urgency = excluded.urgency,
                certainty = excluded.certainty, texts = excluded.texts, sort = COALESCE($sort, compose_templates.sort), updated_at = excluded.updated_at,
                updated_by = excluded.updated_by;
            SELECT sort FROM compose_templates WHERE id = $id;
            """;
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$name", name);
        cmd.Parameters.AddWithValue("$event", eventName);
        cmd.Parameters.AddWithValue("$severity", severity.ToString());
        cmd.Parameters.AddWithValue("$urgency", urgency.ToString());
        cmd.Parameters.AddWithValue("$certainty", certainty.ToString());
        cmd.Parameters.AddWithValue("$texts", JsonSerializer.Serialize(texts, Json.Options));
        cmd.Parameters.AddWithValue("$sort", (object?)sort ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", now.ToString("O"));
        cmd.Parameters.AddWithValue("$by", actor);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var existed = reader.GetInt64(0) == 1;
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (new ComposeTemplate(id, name, eventName, severity, urgency, certainty, texts, reader.GetInt32(0), now, actor), !existed);
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
