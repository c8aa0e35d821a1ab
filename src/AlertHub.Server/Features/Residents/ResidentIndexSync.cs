using AlertHub.Core.Targeting;

namespace AlertHub.Server.Features.Residents;

/// <summary>
/// Keeps the in-memory targeting index (<see cref="ResidentIndex"/>, read by Targeting) in step with every resident change:
/// whoever changes a resident writes it here, so a preview right after a registration already counts them.
/// </summary>
internal sealed class ResidentIndexSync(ResidentIndex index, ResidentStore residents)
{
    public ResidentIndex Index => index;

    /// <summary>
    /// Held while residents are read from the store and written into the index, by <see cref="RefreshAsync"/> and by
    /// <see cref="ResidentIndexFollower"/>: a read made before a change can then never land in the index after the read
    /// made after it (the later read always wins).
    /// </summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>What the index keeps of a resident: attributes, places, and the channels of their active endpoints.</summary>
    public static ResidentProfile ToProfile(Guid id, ValidResident r) =>
        new(id, r.HouseholdTags, r.Language, r.Tags, [.. r.Places.Select(p => new ResidentPlace(p.Lat, p.Lon, p.Label))],
            [.. r.Endpoints.Where(e => e.State == EndpointStates.Active).Select(e => e.Channel).Distinct()]);

    /// <summary>Re-reads the given residents from the store into the index (after endpoints were pruned, say).</summary>
    public async Task RefreshAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            await foreach (var profile in residents.ReadProfilesAsync(ids, cancellationToken))
            {
                index.Upsert(profile);
            }
        }
        finally
        {
            Gate.Release();
        }
    }
}
