using AlertHub.Core.Targeting;

namespace AlertHub.Server.Features.Residents;

/// <summary>
/// Keeps the in-memory targeting index (<see cref="ResidentIndex"/>, read by Targeting) in step with every resident change:
/// whoever changes a resident writes it here, so a preview right after a registration already counts them.
/// </summary>
internal sealed class ResidentIndexSync(ResidentIndex index, ResidentStore residents)
{
    public ResidentIndex Index => index;

    /// <summary>What the index keeps of a resident: attributes, places, and the channels of their active endpoints.</summary>
    public static ResidentProfile ToProfile(Guid id, ValidResident r) =>
        new(id, r.HouseholdTags, r.Language, r.Tags, [.. r.Places.Select(p => new ResidentPlace(p.Lat, p.Lon, p.Label))],
            [.. r.Endpoints.Where(e => e.State == EndpointStates.Active).Select(e => e.Channel).Distinct()]);

    /// <summary>Re-reads the given residents from the store into the index (after endpoints were pruned, say).</summary>
    public async Task RefreshAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await foreach (var profile in residents.ReadProfilesAsync(ids, cancellationToken))
        {
            index.Upsert(profile);
        }
    }
}
