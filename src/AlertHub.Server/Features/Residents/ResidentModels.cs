namespace AlertHub.Server.Features.Residents;

internal sealed record ResidentAttributesDto(string[]? HouseholdTags, string? Language, string[]? Tags);
internal sealed record PlaceDto(string? Label, double? Lat, double? Lon);
/// <param name="Keys">Channel-specific key material, e.g. a Web Push subscription's <c>p256dh</c> and <c>auth</c>.</param>
internal sealed record EndpointDto(string? Channel, string? Address, string? Secret, Dictionary<string, string>? Keys = null);

/// <summary>The body of POST/PUT /api/residents and of each NDJSON line of the bulk import.</summary>
internal sealed record ResidentRequest(ResidentAttributesDto? Attributes, PlaceDto[]? Places, EndpointDto[]? Endpoints, string? ExternalId);

internal sealed record LocationRequest(double? Lat, double? Lon);

/// <summary>A resident that passed validation, ready to store.</summary>
internal sealed record ValidResident(
    string[] HouseholdTags,
    string? Language,
    string[] Tags,
    IReadOnlyList<ValidPlace> Places,
    IReadOnlyList<ValidEndpoint> Endpoints,
    string? ExternalId);

internal sealed record ValidPlace(string? Label, double Lat, double Lon);
/// <param name="State">Stored state: <see cref="EndpointStates.Active"/>, or <see cref="EndpointStates.Pending"/> while a channel
/// waits for the owner to confirm the address (e-mail double opt-in).</param>
internal sealed record ValidEndpoint(string Channel, string Address, string? Secret, string State = EndpointStates.Active);

/// <summary>Values of <c>resident_endpoints.state</c>; only active endpoints are targeted and delivered to.</summary>
internal static class EndpointStates
{
    public const string Active = AlertHub.Core.Storage.ResidentEndpointStates.Active;
    public const string Pending = AlertHub.Core.Storage.ResidentEndpointStates.Pending;
    public const string Gone = AlertHub.Core.Storage.ResidentEndpointStates.Gone;
}

internal sealed record ResidentView(
    Guid Id,
    string? ExternalId,
    ResidentAttributesDto Attributes,
    IReadOnlyList<PlaceDto> Places,
    IReadOnlyList<EndpointView> Endpoints,
    LocationView? CurrentLocation);

internal sealed record EndpointView(long Id, string Channel, string Address, string State);
internal sealed record LocationView(double Lat, double Lon, DateTimeOffset ExpiresAt);

internal sealed record RegisteredResident(Guid Id, string Token);
