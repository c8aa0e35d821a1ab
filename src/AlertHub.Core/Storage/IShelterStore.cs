namespace AlertHub.Core.Storage;

/// <summary>A position in WGS84 degrees, as stored with a shelter or a 安否 reply.</summary>
internal sealed record GeoPoint(double Lat, double Lon);

/// <summary>One shelter as residents and staff see it.</summary>
internal sealed record Shelter(string Id, string Name, string? NameEn, GeoPoint Location, string Status, int? Capacity, int? Occupancy, DateTimeOffset UpdatedAt);

/// <summary>
/// Shelters and their current status; the owner of the <c>shelters</c> table. A city has hundreds, so every read goes to
/// the store (no cache to keep coherent between hub nodes).
/// </summary>
internal interface IShelterStore
{
    /// <summary>Every shelter, ordered by name, then id.</summary>
    Task<IReadOnlyList<Shelter>> ListAsync(CancellationToken cancellationToken);

    Task<Shelter?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces by id in one transaction; returns whether it existed and the status it had before.</summary>
    Task<(bool Existed, string? PreviousStatus)> UpsertAsync(Shelter shelter, string actor, CancellationToken cancellationToken);

    /// <summary>False when no shelter had the id.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
