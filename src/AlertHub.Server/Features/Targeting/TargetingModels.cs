using System.Text.Json;

namespace AlertHub.Server.Features.Targeting;

internal sealed record CircleDto(double? Lat, double? Lon, double? RadiusMeters);

/// <summary>The union of any of: stored areas, inline GeoJSON, circles, area codes.</summary>
internal sealed record AreaSpec(string[]? AreaIds, JsonElement? Geometry, CircleDto[]? Circles, string[]? Codes);

internal sealed record TagFilterDto(string[]? Any, string[]? All, string[]? None);

internal sealed record AudienceSpec(TagFilterDto? HouseholdTags, TagFilterDto? Languages, TagFilterDto? Tags);

internal sealed record PreviewRequest(AreaSpec? Area, AudienceSpec? Audience, string[]? Channels, bool? IncludeCurrentLocations);

internal sealed record AreaCount(string Name, int Recipients);

internal sealed record PreviewResponse(
    int Recipients,
    int Unreachable,
    IReadOnlyDictionary<string, int> ByChannel,
    IReadOnlyDictionary<string, AreaCount> ByArea,
    double ElapsedMs);
