using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Places;

/// <summary>Configuration section <c>Places</c>.</summary>
public sealed class PlacesOptions
{
    /// <summary>Largest body <c>POST /api/places/towns</c> accepts. Default 32 MiB (all of Akita's 7,345 points are 1.3 MB).</summary>
    public long MaxUploadBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Most points one import may hold. Default 200,000 (all of Japan's 大字・町丁目 are about 190,000).</summary>
    public int MaxPoints { get; set; } = 200_000;
}

internal sealed record TownImportRejection(int Index, string Reason);

internal sealed record TownImportResult(int Imported, int Rejected, IReadOnlyList<TownImportRejection> Rejections, string? Attribution);

internal sealed record TownSetView(int Count, string? Attribution, DateTimeOffset? ImportedAt, string? ImportedBy);

/// <summary>The nearest 町字 point (within <see cref="PlacesApi.NearestMaxMeters"/>) and the public district the position is in.</summary>
internal sealed record NearestPlace(NearbyTown? Town, string? District);

/// <summary>
/// 町字 points: staff import them at run time (<c>POST /api/places/towns</c>, a GeoJSON FeatureCollection of Points or the
/// Geolonia API's <c>[{town, koaza, lat, lng}]</c> array); anyone may search them by name and ask which is nearest a point,
/// the resident page's two ways of putting a place on the map. Without an import the search finds the districts only.
/// </summary>
internal static class PlacesApi
{
    public const int MaxQueryLength = 40;
    public const int MaxResults = 20;
    public const int DefaultResults = 8;
    public const double NearestMaxMeters = 3_000;
    private const int MaxNameLength = 100;
    private const int MaxReportedRejections = 100;

    public static IHostApplicationBuilder AddPlaces(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<PlacesOptions>(builder.Configuration.GetSection("Places"));
        builder.Services.AddSingleton<TownPointStore>();
        builder.Services.AddSingleton<Health.IStartupStep, TownPointStartup>();
        return builder;
    }

    public static RouteGroupBuilder MapPlacesApi(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IConfiguration>().GetSection("Places").Get<PlacesOptions>() ?? new PlacesOptions();
        var group = app.MapGroup("/api/places").WithTags("Places");

        group.MapGet("/search", Results<Ok<IReadOnlyList<PlaceMatch>>, ProblemHttpResult> (string? q, int? limit, TownPointStore towns, AreaStore areas) =>
        {
            var query = q?.Trim() ?? "";
            if (query.Length is 0 or > MaxQueryLength || query.Any(char.IsControl))
            {
                return Problems.BadRequest(Problems.PlaceQueryInvalid, $"q is a place name of 1–{MaxQueryLength} characters.");
            }

            if (limit is < 1 or > MaxResults)
            {
                return Problems.BadRequest(Problems.PlaceQueryInvalid, $"limit is 1–{MaxResults} (default {DefaultResults}).");
            }

            return TypedResults.Ok(Search(query, limit ?? DefaultResults, towns, areas));
        }).AllowAnonymous();

        group.MapGet("/nearest", Results<Ok<NearestPlace>, ProblemHttpResult> (double? lat, double? lon, TownPointStore towns, AreaStore areas) =>
        {
            if (lat is not double y || lon is not double x || !double.IsFinite(y) || !double.IsFinite(x) || y is < -90 or > 90 || x is < -180 or > 180)
            {
                return Problems.BadRequest(Problems.PlaceCoordinatesInvalid, "lat in [-90, 90] and lon in [-180, 180] are required.");
            }

            var point = NetTopologySuite.Geometries.GeometryFactory.Default.CreatePoint(new NetTopologySuite.Geometries.Coordinate(x, y));
            var district = areas.All.FirstOrDefault(a => AreaKinds.Public.Contains(a.Kind) && a.Geometry.Covers(point))?.Name;
            var town = towns.Nearest(y, x, NearestMaxMeters);
            return TypedResults.Ok(new NearestPlace(town is null ? null : town with { Lat = Round(town.Lat), Lon = Round(town.Lon), DistanceMeters = Math.Round(town.DistanceMeters) },
                district));
        }).AllowAnonymous();

        group.MapGet("/towns", (TownPointStore towns) =>
            TypedResults.Ok(new TownSetView(towns.Count, towns.Set?.Attribution, towns.Set?.ImportedAt, towns.Set?.ImportedBy)))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapPost("/towns", ImportAsync)
            .RequireAuthorization(StaffRoles.Policies.Admin)
            .WithMetadata(new BodyLimit(options.MaxUploadBytes), ReadsJsonBody.Instance);

        group.MapDelete("/towns", async (TownPointStore towns, AuditLog audit, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            var before = towns.Count;
            await towns.ReplaceAsync([], new TownPointSet(0, null, time.GetUtcNow(), http.User.Actor()), ct);
            await audit.WriteAsync(http.User.Actor(), "places.towns.delete", null, $"{before} points removed", ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(StaffRoles.Policies.Admin);

        return group;
    }

    /// <summary>Town points and public districts whose name holds the query, best first (see <see cref="TownPointStore.Search"/>).</summary>
    internal static IReadOnlyList<PlaceMatch> Search(string query, int limit, TownPointStore towns, AreaStore areas)
    {
        var whole = string.Concat(SearchKey.Words(query));
        var found = towns.Search(query, limit)
            .Select(t => (Match: new PlaceMatch(t.Point.Name, "town", t.Point.District, Round(t.Point.Lat), Round(t.Point.Lon)), t.Rank))
            .ToList();
        var words = SearchKey.Words(query);
        foreach (var area in areas.All.Where(a => AreaKinds.Public.Contains(a.Kind)))
        {
            var key = SearchKey.Of(area.Name);
            if (words.Length == 0 || !words.All(w => key.Contains(w, StringComparison.Ordinal)))
            {
                continue;
            }

            // 「増田（デモ）」 is what a resident types as 「増田」: the bracketed note does not make it a partial match.
            var bare = SearchKey.Of(area.Name.Split('（', '(')[0]);
            var point = area.Geometry.InteriorPoint;
            found.Add((new PlaceMatch(area.Name, "district", null, Round(point.Y), Round(point.X)), bare == whole ? 1 : key.StartsWith(whole, StringComparison.Ordinal) ? 4 : 7));
        }

        return [.. found.OrderBy(f => f.Rank).ThenBy(f => f.Match.Name.Length).ThenBy(f => f.Match.Name, StringComparer.Ordinal).Select(f => f.Match).Take(limit)];
    }

    private static async Task<Results<Ok<TownImportResult>, ProblemHttpResult>> ImportAsync(HttpRequest request, string? attribution, TownPointStore towns,
        AuditLog audit, TimeProvider time, Microsoft.Extensions.Options.IOptions<PlacesOptions> options, CancellationToken ct)
    {
        attribution = string.IsNullOrWhiteSpace(attribution) ? null : attribution.Trim();
        if (attribution is { Length: > 200 } || (attribution?.Any(char.IsControl) ?? false))
        {
            return Problems.BadRequest(Problems.PlaceImportInvalid, "attribution is the credit line the data asks for, at most 200 characters.");
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 16 }, ct);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest(Problems.MalformedJson, e.Message);
        }

        using (document)
        {
            var root = document.RootElement;
            JsonElement items;
            bool geoJson;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("features", out var features) && features.ValueKind == JsonValueKind.Array)
            {
                (items, geoJson) = (features, true);
            }
            else if (root.ValueKind == JsonValueKind.Array)
            {
                (items, geoJson) = (root, false);
            }
            else
            {
                return Problems.BadRequest(Problems.PlaceImportInvalid,
                    "The body is a GeoJSON FeatureCollection of Points with a 'town' (and optional 'koaza') or 'name' property, or an array of {town, koaza, lat, lng}.");
            }

            if (items.GetArrayLength() > options.Value.MaxPoints)
            {
                return Problems.BadRequest(Problems.PlaceImportInvalid, $"At most {options.Value.MaxPoints} points per import (Places:MaxPoints).");
            }

            var points = new List<TownPoint>(items.GetArrayLength());
            var rejections = new List<TownImportRejection>();
            var rejected = 0;
            var index = -1;
            foreach (var item in items.EnumerateArray())
            {
                index++;
                var (point, reason) = geoJson ? ReadFeature(item) : ReadRecord(item);
                if (point is null)
                {
                    rejected++;
                    if (rejections.Count < MaxReportedRejections)
                    {
                        rejections.Add(new TownImportRejection(index, reason!));
                    }

                    continue;
                }

                points.Add(point);
            }

            if (points.Count == 0)
            {
                // An empty or wholly broken file must not wipe the points residents search today.
                return Problems.BadRequest(Problems.PlaceImportInvalid,
                    $"No point could be read ({rejected} rejected{(rejections.Count > 0 ? $"; the first: #{rejections[0].Index} {rejections[0].Reason}" : "")}). Nothing was changed.");
            }

            var actor = request.HttpContext.User.Actor();
            await towns.ReplaceAsync(points, new TownPointSet(points.Count, attribution, time.GetUtcNow(), actor), ct);
            await audit.WriteAsync(actor, "places.towns.import", null, $"imported {points.Count}, rejected {rejected}{(attribution is null ? "" : $", credit: {attribution}")}", ct);
            return TypedResults.Ok(new TownImportResult(points.Count, rejected, rejections, attribution));
        }
    }

    private static (TownPoint?, string?) ReadFeature(JsonElement feature)
    {
        if (feature.ValueKind != JsonValueKind.Object || !feature.TryGetProperty("geometry", out var geometry) || geometry.ValueKind != JsonValueKind.Object
            || !geometry.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "Point"
            || !geometry.TryGetProperty("coordinates", out var coordinates) || coordinates.ValueKind != JsonValueKind.Array || coordinates.GetArrayLength() < 2
            || coordinates[0].ValueKind != JsonValueKind.Number || coordinates[1].ValueKind != JsonValueKind.Number)
        {
            return (null, "not a Point feature with [lon, lat] coordinates");
        }

        var properties = feature.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        return Build(Text(properties, "town") ?? Text(properties, "name"), Text(properties, "koaza"),
            Text(properties, "former_municipality") ?? Text(properties, "district"), coordinates[1].GetDouble(), coordinates[0].GetDouble());
    }

    private static (TownPoint?, string?) ReadRecord(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            return (null, "not an object {town, koaza, lat, lng}");
        }

        var lat = record.TryGetProperty("lat", out var y) && y.ValueKind == JsonValueKind.Number ? y.GetDouble() : (double?)null;
        var lon = record.TryGetProperty("lng", out var x) && x.ValueKind == JsonValueKind.Number ? x.GetDouble()
            : record.TryGetProperty("lon", out x) && x.ValueKind == JsonValueKind.Number ? x.GetDouble() : (double?)null;
        if (lat is null || lon is null)
        {
            return (null, "lat and lng are required numbers (the source has no position for this name)");
        }

        return Build(Text(record, "town") ?? Text(record, "name"), Text(record, "koaza"), Text(record, "district"), lat.Value, lon.Value);
    }

    private static (TownPoint?, string?) Build(string? town, string? koaza, string? district, double lat, double lon)
    {
        town = town?.Trim();
        koaza = koaza?.Trim() ?? "";
        district = string.IsNullOrWhiteSpace(district) ? null : district.Trim();
        if (string.IsNullOrEmpty(town) || town.Length > MaxNameLength || koaza.Length > MaxNameLength || district is { Length: > MaxNameLength }
            || $"{town}{koaza}{district}".Any(char.IsControl))
        {
            return (null, $"town (1–{MaxNameLength} characters, no control characters) is required; koaza and district at most {MaxNameLength}");
        }

        if (!double.IsFinite(lat) || !double.IsFinite(lon) || lat is < -90 or > 90 || lon is < -180 or > 180)
        {
            return (null, "lat in [-90, 90] and lon in [-180, 180]");
        }

        return (new TownPoint(town, koaza, district, lat, lon), null);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double Round(double value) => Math.Round(value, 6);
}
