using System.Text.Json;
using AlertHub.Server.Features.Alerts;
using AlertHub.Core.Storage;
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

/// <summary>The templates (<see cref="IComposeTemplateStore"/>) as the compose screen sees them: typed CAP fields, texts per language.</summary>
internal sealed class ComposeTemplateCatalog(IComposeTemplateStore store, TimeProvider time)
{
    public async Task<IReadOnlyList<ComposeTemplate>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await store.ListAsync(cancellationToken)).Select(r => new ComposeTemplate(r.Id, r.Name, r.Event, Enum.Parse<Severity>(r.Severity),
            Enum.Parse<Urgency>(r.Urgency), Enum.Parse<Certainty>(r.Certainty),
            JsonSerializer.Deserialize<Dictionary<string, AlertText>>(r.TextsJson, Json.Options) ?? [], r.Sort, r.UpdatedAt, r.UpdatedBy))];

    /// <summary>Creates or replaces a template; returns it as stored and whether it is new. A new template goes to the end of the list
    /// unless a place is given; an edited one keeps its place.</summary>
    public async Task<(ComposeTemplate Template, bool Created)> SaveAsync(string id, string name, string eventName, Severity severity, Urgency urgency,
        Certainty certainty, Dictionary<string, AlertText> texts, int? sort, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (stored, created) = await store.SaveAsync(new ComposeTemplateRecord(id, name, eventName, severity.ToString(), urgency.ToString(),
            certainty.ToString(), JsonSerializer.Serialize(texts, Json.Options), 0, now, actor), sort, cancellationToken);
        return (new ComposeTemplate(id, name, eventName, severity, urgency, certainty, texts, stored, now, actor), created);
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => store.DeleteAsync(id, cancellationToken);
}
