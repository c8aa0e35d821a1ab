using System.Security.Cryptography;
using System.Text;
using AlertHub.Core.Storage;
using AlertHub.Core.Targeting;

namespace AlertHub.Server.Features.Residents;

/// <summary>
/// Residents as the features see them, above <see cref="IResidentStore"/> (the one owner of the resident tables): makes ids
/// and tokens (only their hash is stored), checks tokens in constant time, stamps times from the clock, has every
/// <see cref="IResidentRecords"/> holder forget a deleted resident in the same transaction, and maps between the API's
/// types and the store's.
/// </summary>
internal sealed class ResidentStore(IResidentStore store, IStoreTransactions transactions, IEnumerable<IResidentRecords> records, TimeProvider time)
{
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Registers residents in one transaction (the bulk import calls this per chunk) and returns their ids and tokens, in order.</summary>
    public async Task<IReadOnlyList<RegisteredResident>> InsertAsync(IReadOnlyList<ValidResident> residents, CancellationToken cancellationToken)
    {
        var result = new List<RegisteredResident>(residents.Count);
        var rows = new List<NewResident>(residents.Count);
        foreach (var r in residents)
        {
            var registered = new RegisteredResident(Guid.NewGuid(), NewToken());
            result.Add(registered);
            rows.Add(new NewResident(registered.Id, HashToken(registered.Token), r.ExternalId, r.HouseholdTags, r.Language, r.Tags, Places(r.Places), Endpoints(r.Endpoints)));
        }

        await store.InsertAsync(rows, time.GetUtcNow(), cancellationToken);
        return result;
    }

    /// <summary>Replaces the registration; an address the owner already confirmed stays active when re-sent unchanged. False when unknown.</summary>
    public Task<bool> ReplaceAsync(Guid id, ValidResident r, CancellationToken cancellationToken) =>
        store.ReplaceAsync(id, new ResidentChange(r.ExternalId, r.HouseholdTags, r.Language, r.Tags, Places(r.Places), Endpoints(r.Endpoints)),
            time.GetUtcNow(), cancellationToken);

    /// <summary>The right to be forgotten: the resident, places, endpoints, location and every holder's records, in one transaction.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var tx = await transactions.BeginAsync(cancellationToken);
        foreach (var holder in records)
        {
            await holder.ForgetResidentAsync(tx, id, cancellationToken);
        }

        var deleted = await store.DeleteAsync(tx, id, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<bool> VerifyTokenAsync(Guid id, string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        return await store.TokenHashAsync(id, cancellationToken) is { } stored && CryptographicOperations.FixedTimeEquals(stored, HashToken(token));
    }

    public async Task<ResidentView?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } r)
        {
            return null;
        }

        return new ResidentView(id, r.ExternalId, new ResidentAttributesDto([.. r.HouseholdTags], r.Language, [.. r.Tags]),
            [.. r.Places.Select(p => new PlaceDto(p.Label, p.Lat, p.Lon))],
            [.. r.Endpoints.Select(e => new EndpointView(e.Id, e.Channel, e.Address, e.State))],
            r.Location is { } l ? new LocationView(l.Lat, l.Lon, l.ExpiresAt) : null);
    }

    /// <summary>False when there is no such resident (also when they were deleted meanwhile).</summary>
    public Task<bool> SetLocationAsync(Guid id, double lat, double lon, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        store.SetLocationAsync(new ResidentLocation(id, lat, lon, expiresAt), cancellationToken);

    public Task ClearLocationAsync(Guid id, CancellationToken cancellationToken) => store.ClearLocationAsync(id, cancellationToken);

    /// <summary>
    /// Adds one endpoint to an existing resident (staff entering a household's phone number), unless the resident already
    /// has that address active on that channel. Returns the endpoint id, or null when there is no such resident.
    /// </summary>
    public Task<long?> AddEndpointAsync(Guid residentId, ValidEndpoint endpoint, CancellationToken cancellationToken) =>
        store.AddEndpointAsync(residentId, Endpoint(endpoint), time.GetUtcNow(), cancellationToken);

    /// <summary>Marks an endpoint gone (the provider said the address no longer exists) and returns its resident.</summary>
    public Task<Guid?> PruneEndpointAsync(long endpointId, CancellationToken cancellationToken) => store.PruneEndpointAsync(endpointId, cancellationToken);

    /// <summary>Reads residents as the targeting engine needs them (all, or a given set), streamed.</summary>
    public IAsyncEnumerable<ResidentProfile> ReadProfilesAsync(IReadOnlyCollection<Guid>? only, CancellationToken cancellationToken) =>
        store.ReadProfilesAsync(only, cancellationToken);

    /// <summary>Live locations that have not expired yet.</summary>
    public async Task<IReadOnlyList<(Guid Id, double Lat, double Lon, DateTimeOffset ExpiresAt)>> ReadLiveLocationsAsync(CancellationToken cancellationToken) =>
        [.. (await store.ReadLiveLocationsAsync(time.GetUtcNow(), cancellationToken)).Select(l => (l.ResidentId, l.Lat, l.Lon, l.ExpiresAt))];

    public Task<long> CountAsync(CancellationToken cancellationToken) => store.CountAsync(cancellationToken);

    private static IReadOnlyList<StoredPlace> Places(IReadOnlyList<ValidPlace> places) => [.. places.Select(p => new StoredPlace(p.Label, p.Lat, p.Lon))];

    private static IReadOnlyList<NewEndpoint> Endpoints(IReadOnlyList<ValidEndpoint> endpoints) => [.. endpoints.Select(Endpoint)];

    private static NewEndpoint Endpoint(ValidEndpoint e) => new(e.Channel, e.Address, e.Secret, e.State);
}
