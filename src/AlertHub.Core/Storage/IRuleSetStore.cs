namespace AlertHub.Core.Storage;

/// <summary>
/// The feed rules saved through the API, kept as one JSON document (staff replace the set as a whole); the owner of the
/// <c>rules</c> table. The Rules feature reads and validates the document; the store only keeps it.
/// </summary>
internal interface IRuleSetStore
{
    /// <summary>The saved rule set as JSON, or null when none was ever saved (configuration then decides).</summary>
    Task<string?> GetJsonAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the saved rule set.</summary>
    Task SaveJsonAsync(string json, DateTimeOffset at, string actor, CancellationToken cancellationToken);
}
