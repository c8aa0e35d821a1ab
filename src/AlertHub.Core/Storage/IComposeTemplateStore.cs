namespace AlertHub.Core.Storage;

/// <summary>
/// A compose template as stored: the CAP fields by name (Severe, Immediate, Likely …) and the texts per language as the JSON
/// object the compose screen reads (<c>{"ja": {"headline": …, "body": …, "instruction": …}, …}</c>), languages in the order saved.
/// </summary>
internal sealed record ComposeTemplateRecord(
    string Id, string Name, string Event, string Severity, string Urgency, string Certainty, string TextsJson, int Sort, DateTimeOffset UpdatedAt,
    string UpdatedBy);

/// <summary>
/// The compose screen's starting texts; the owner of the <c>compose_templates</c> table. Both engines start with the same five
/// defaults (洪水, 土砂災害, 地震, 大雨, 避難指示), which admins change.
/// </summary>
internal interface IComposeTemplateStore
{
    /// <summary>Every template, ordered by sort, then name (code-point order), then id.</summary>
    Task<IReadOnlyList<ComposeTemplateRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Creates or replaces the template with <paramref name="template"/>'s id, atomically. Its <c>Sort</c> is ignored: a new template
    /// takes <paramref name="sort"/>, or 10 more than the highest sort so far when null; an existing one takes <paramref name="sort"/>,
    /// or keeps its place when null. Returns the sort it now has and whether this call created it (of concurrent creates of one id,
    /// exactly one did).
    /// </summary>
    Task<(int Sort, bool Created)> SaveAsync(ComposeTemplateRecord template, int? sort, CancellationToken cancellationToken);

    /// <summary>False when no template had the id.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
