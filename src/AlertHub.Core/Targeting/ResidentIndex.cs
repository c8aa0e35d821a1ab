namespace AlertHub.Core.Targeting;

/// <summary>
/// In-memory spatial and attribute index over every resident's places and live locations.
/// Thread-safe: many concurrent queries, writes serialised. Exact: every point near a shape boundary
/// is tested exactly (boundary counts as inside).
/// </summary>
public sealed class ResidentIndex
{
    public ResidentIndex(TimeProvider timeProvider) => throw new NotImplementedException();

    /// <summary>Number of residents in the index.</summary>
    public int Count => throw new NotImplementedException();

    /// <summary>Adds many residents at once (start-up load, bulk import); far cheaper than repeated <see cref="Upsert"/>.</summary>
    public void BulkUpsert(IEnumerable<ResidentProfile> residents) => throw new NotImplementedException();

    /// <summary>Adds or replaces one resident.</summary>
    public void Upsert(ResidentProfile resident) => throw new NotImplementedException();

    /// <summary>Removes a resident and their live location. Returns false if unknown.</summary>
    public bool Remove(Guid residentId) => throw new NotImplementedException();

    /// <summary>Sets an opt-in live location that counts as a place until <paramref name="expiresAt"/>.</summary>
    public void SetCurrentLocation(Guid residentId, double lat, double lon, DateTimeOffset expiresAt) => throw new NotImplementedException();

    public void ClearCurrentLocation(Guid residentId) => throw new NotImplementedException();

    /// <summary>Answers area × audience → recipients.</summary>
    public TargetResult Query(TargetQuery query) => throw new NotImplementedException();
}
