namespace AlertHub.Core.Storage;

/// <summary>
/// One named target area as stored: its geometry is GeoJSON text (WGS84, as <c>AlertHub.Core.Geo.GeoJsonWriter</c> writes
/// it), which the feature parses once and keeps in memory.
/// </summary>
internal sealed record StoredArea(string Id, string Name, string Kind, string? Code, string GeoJson, bool Demo, DateTimeOffset CreatedAt);

/// <summary>
/// Named target areas (districts, hazard zones, drawn areas); the owner of the <c>areas</c> table. Targeting reads them on
/// every preview, so the feature holds them all in memory and comes here only to load, add and delete.
/// </summary>
internal interface IAreaStore
{
    /// <summary>Every area, oldest first (then by id). The geometry comes back equal as JSON, not necessarily as the same text.</summary>
    Task<IReadOnlyList<StoredArea>> ListAsync(CancellationToken cancellationToken);

    Task<bool> AnyAsync(CancellationToken cancellationToken);

    /// <summary>Adds all of them in one transaction or none: an id already stored fails the whole batch with a <see cref="System.Data.Common.DbException"/>.</summary>
    Task AddAsync(IReadOnlyList<StoredArea> areas, CancellationToken cancellationToken);

    /// <summary>False when no area had the id.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
