using AlertHub.Core.Targeting;

namespace AlertHub.Core.Storage;

/// <summary>Values of <c>resident_endpoints.state</c>; only active endpoints are targeted and delivered to.</summary>
internal static class ResidentEndpointStates
{
    public const string Active = "active";

    /// <summary>Waiting for the owner to confirm the address (e-mail double opt-in).</summary>
    public const string Pending = "pending";

    /// <summary>The provider or the owner said the address no longer takes messages.</summary>
    public const string Gone = "gone";
}

/// <summary>A place a resident registered (home, work), in WGS84 degrees; the first is the resident's home.</summary>
internal sealed record StoredPlace(string? Label, double Lat, double Lon);

/// <summary>An endpoint to store; <paramref name="Secret"/> is channel key material that never leaves the hub.</summary>
internal sealed record NewEndpoint(string Channel, string Address, string? Secret, string State);

/// <summary>A resident to store: the id and the SHA-256 of the token are made by the caller (the token itself is never stored).</summary>
internal sealed record NewResident(
    Guid Id,
    byte[] TokenHash,
    string? ExternalId,
    IReadOnlyList<string> HouseholdTags,
    string? Language,
    IReadOnlyList<string> Tags,
    IReadOnlyList<StoredPlace> Places,
    IReadOnlyList<NewEndpoint> Endpoints);

/// <summary>What replaces a resident's registration (PUT): attributes, places and endpoints, all of them.</summary>
internal sealed record ResidentChange(
    string? ExternalId,
    IReadOnlyList<string> HouseholdTags,
    string? Language,
    IReadOnlyList<string> Tags,
    IReadOnlyList<StoredPlace> Places,
    IReadOnlyList<NewEndpoint> Endpoints);

/// <summary>A stored endpoint without its secret (secrets never leave the store except to the delivery that needs them).</summary>
internal sealed record ResidentEndpoint(long Id, Guid ResidentId, string Channel, string Address, string State);

/// <summary>A resident's shared live location and when it stops counting.</summary>
internal sealed record ResidentLocation(Guid ResidentId, double Lat, double Lon, DateTimeOffset ExpiresAt);

/// <summary>A resident as they read their own registration back.</summary>
internal sealed record StoredResident(
    Guid Id,
    string? ExternalId,
    IReadOnlyList<string> HouseholdTags,
    string? Language,
    IReadOnlyList<string> Tags,
    IReadOnlyList<StoredPlace> Places,
    IReadOnlyList<ResidentEndpoint> Endpoints,
    ResidentLocation? Location);

/// <summary>
/// Residents, their places, endpoints and live locations; the one owner of <c>residents</c>, <c>resident_places</c>,
/// <c>resident_endpoints</c> and <c>resident_locations</c>. Registration, LINE, e-mail confirmation and telephony all write
/// through here. Places keep their registered order; endpoints have increasing ids (a later endpoint has a larger id).
/// Deleting a resident takes their places, endpoints and location with them.
/// </summary>
internal interface IResidentStore
{
    /// <summary>
    /// Stores the residents in one transaction (the bulk import calls this per chunk of thousands, so engines load them in
    /// bulk); every place and endpoint is stored as given, with <paramref name="at"/> as the created and updated time.
    /// </summary>
    Task InsertAsync(IReadOnlyList<NewResident> residents, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the resident's attributes, places and endpoints in one transaction. A pending endpoint whose channel and
    /// address the resident already has active stays active (the owner confirmed it before; see
    /// <see cref="ResidentEndpointRules.KeepConfirmed"/>). False when there is no such resident.
    /// </summary>
    Task<bool> ReplaceAsync(Guid id, ResidentChange change, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the resident (with places, endpoints and location) inside the caller's transaction, so that other owners'
    /// records of them go in the same commit. False when there was no such resident.
    /// </summary>
    Task<bool> DeleteAsync(IStoreTransaction transaction, Guid id, CancellationToken cancellationToken);

    /// <summary>The SHA-256 of the resident's token, or null when there is no such resident.</summary>
    Task<byte[]?> TokenHashAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The resident with places in registered order and endpoints by id (every state), or null.</summary>
    Task<StoredResident?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>How many residents are registered.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every resident (or those in <paramref name="only"/>) as the targeting index keeps them: attributes, places in order and
    /// the distinct channels of their active endpoints. Streamed: memory stays flat for a million residents. No order promised.
    /// </summary>
    IAsyncEnumerable<ResidentProfile> ReadProfilesAsync(IReadOnlyCollection<Guid>? only, CancellationToken cancellationToken);

    /// <summary>Sets (or moves) the resident's live location. False when there is no such resident (also when deleted meanwhile).</summary>
    Task<bool> SetLocationAsync(ResidentLocation location, CancellationToken cancellationToken);

    Task ClearLocationAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Live locations that expire after <paramref name="now"/>.</summary>
    Task<IReadOnlyList<ResidentLocation>> ReadLiveLocationsAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The resident's first place (home), or null when they registered none or do not exist.</summary>
    Task<StoredPlace?> HomeAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Changes only what is given, without touching endpoints: household tags (when not null), language (when
    /// <paramref name="setLanguage"/>), and <paramref name="place"/> (when not null) replaces all the resident's places.
    /// False when there is no such resident.
    /// </summary>
    Task<bool> UpdateProfileAsync(Guid id, IReadOnlyList<string>? householdTags, bool setLanguage, string? language, StoredPlace? place,
        DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Adds an endpoint to an existing resident unless they already have that channel and address active; returns the id of
    /// the endpoint added, or of the active one already there. Null when there is no such resident.
    /// </summary>
    Task<long?> AddEndpointAsync(Guid residentId, NewEndpoint endpoint, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The endpoint with this id on this channel (any state), or null.</summary>
    Task<ResidentEndpoint?> FindEndpointAsync(long endpointId, string channel, CancellationToken cancellationToken);

    /// <summary>The given residents' endpoints on <paramref name="channel"/> in <paramref name="state"/>, in no particular order.</summary>
    Task<IReadOnlyList<ResidentEndpoint>> EndpointsOfAsync(IReadOnlyCollection<Guid> residentIds, string channel, string state,
        CancellationToken cancellationToken);

    /// <summary>Whether the resident has this address active on the channel (not removed, not pruned).</summary>
    Task<bool> HasActiveEndpointAsync(Guid residentId, string channel, string address, CancellationToken cancellationToken);

    /// <summary>
    /// The resident holding <paramref name="address"/> on <paramref name="channel"/>: the one whose endpoint is active first,
    /// then the newest endpoint's. Null when nobody has it.
    /// </summary>
    Task<Guid?> FindByAddressAsync(string channel, string address, CancellationToken cancellationToken);

    /// <summary>Sets the state of every endpoint with this channel and address; returns the distinct residents changed.</summary>
    Task<IReadOnlyList<Guid>> SetAddressStateAsync(string channel, string address, string state, CancellationToken cancellationToken);

    /// <summary>Pending → active on the endpoint with this id and channel; false when it was not pending (active, gone or deleted).</summary>
    Task<bool> ActivateEndpointAsync(long endpointId, string channel, CancellationToken cancellationToken);

    /// <summary>Marks the endpoint gone (the provider said the address no longer exists); returns its resident, or null when there is no such endpoint.</summary>
    Task<Guid?> PruneEndpointAsync(long endpointId, CancellationToken cancellationToken);
}

/// <summary>Rules on endpoints that every engine's store applies the same way.</summary>
internal static class ResidentEndpointRules
{
    /// <summary>
    /// The endpoints to store on a replacement: a pending one whose (channel, address) is in <paramref name="active"/> (the
    /// resident's active endpoints before the replacement) stays active, so re-sending a confirmed address unchanged does not
    /// ask for confirmation again.
    /// </summary>
    public static IReadOnlyList<NewEndpoint> KeepConfirmed(IReadOnlyList<NewEndpoint> endpoints, IReadOnlySet<(string Channel, string Address)> active) =>
        [.. endpoints.Select(e => e.State == ResidentEndpointStates.Pending && active.Contains((e.Channel, e.Address))
            ? e with { State = ResidentEndpointStates.Active }
            : e)];
}
