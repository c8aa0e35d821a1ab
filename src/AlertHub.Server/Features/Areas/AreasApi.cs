using System.Text.Json;
using AlertHub.Core.Geo;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Areas;

/// <summary>Configuration section <c>Areas</c>.</summary>
public sealed class AreasOptions
{
    /// <summary>Load the project's synthetic demo areas (geo/demo-areas.geojson) when the store has no areas. Default true.</summary>
    public bool LoadDemoAreas { get; set; } = true;

    /// <summary>Path of the demo areas file. Default: geo/demo-areas.geojson next to the executable.</summary>
    public string? DemoAreasPath { get; set; }

    /// <summary>Largest GeoJSON body accepted by POST /api/areas. Default 32 MiB (the full Akita N03 file is 8.3 MB).</summary>
    public long MaxUploadBytes { get; set; } = 32L * 1024 * 1024;
}

internal sealed record AreaView(string Id, string Name, string Kind, string? Code, bool Demo, DateTimeOffset CreatedAt, JsonElement? Geometry);

internal static class AreasApi
{
    public static IHostApplicationBuilder AddAreas(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AreasOptions>(builder.Configuration.GetSection("Areas"));
        builder.Services.AddSingleton<AreaStore>();
        builder.Services.AddSingleton<Health.IStartupStep, AreaStartup>();
        return builder;
    }

    public static RouteGroupBuilder MapAreasApi(this IEndpointRouteBuilder app, long maxUploadBytes)
    {
        var group = app.MapGroup("/api/areas").WithTags("Areas");

        group.MapGet("/", (AreaStore store, bool? geometry, string? kind) =>
            TypedResults.Ok(store.All.Where(a => kind is null || a.Kind == kind).Select(a => View(a, geometry ?? true))))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapGet("/{id}", Results<Ok<AreaView>, ProblemHttpResult> (string id, AreaStore store) =>
            store.Find(id) is { } area ? TypedResults.Ok(View(area, true)) : Problems.NotFoundProblem(Problems.AreaNotFound, $"No area {id}."))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapPost("/", async Task<Results<Created<AreaView[]>, ProblemHttpResult>> (HttpRequest request, AreaStore store, AuditLog audit,
                string? kind, string? nameProperty, string? codeProperty, CancellationToken ct) =>
            {
                JsonDocument document;
                try
                {
                    document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, ct);
                }
                catch (JsonException e)
                {
                    return Problems.BadRequest(Problems.MalformedJson, e.Message);
                }

                using (document)
                {
                    var features = GeoJsonReader.ReadFeatures(document.RootElement);
                    var toAdd = new List<(string, string, string?, NetTopologySuite.Geometries.Geometry, bool)>();
                    foreach (var feature in features)
                    {
                        var name = Text(feature.Properties, nameProperty ?? "name");
                        var areaKind = Text(feature.Properties, "kind") ?? kind ?? "custom";
                        var code = Text(feature.Properties, codeProperty ?? "code");
                        var where = new Dictionary<string, object?> { ["index"] = feature.Index };
                        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
                        {
                            return Problems.BadRequest(Problems.AreaInvalid, $"Feature {feature.Index} needs a name property '{nameProperty ?? "name"}' (1–200 characters).", where);
                        }

                        if (!AreaKinds.All.Contains(areaKind))
                        {
                            return Problems.BadRequest(Problems.AreaInvalid, $"Feature {feature.Index}: kind must be one of {string.Join(", ", AreaKinds.All)}.", where);
                        }

                        if (code is { Length: > 32 })
                        {
                            return Problems.BadRequest(Problems.AreaInvalid, $"Feature {feature.Index}: code is too long.", where);
                        }

                        var demo = feature.Properties.TryGetValue("demo", out var d) && d.ValueKind == JsonValueKind.True;
                        toAdd.Add((name, areaKind, code, feature.Geometry, demo));
                    }

                    var created = await store.AddAsync(toAdd, ct);
                    await audit.WriteAsync(request.HttpContext.User.Actor(), "areas.create", string.Join(",", created.Select(a => a.Id)),
                        string.Join(", ", created.Select(a => a.Name)), ct);
                    return TypedResults.Created("/api/areas", created.Select(a => View(a, false)).ToArray());
                }
            })
            .RequireAuthorization(StaffRoles.Policies.Admin)
            .WithMetadata(new BodyLimit(maxUploadBytes), ReadsJsonBody.Instance);

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, AreaStore store, AuditLog audit, HttpContext http, CancellationToken ct) =>
            {
                if (!await store.DeleteAsync(id, ct))
                {
                    return Problems.NotFoundProblem(Problems.AreaNotFound, $"No area {id}.");
                }

                await audit.WriteAsync(http.User.Actor(), "areas.delete", id, null, ct);
                return TypedResults.NoContent();
            })
            .RequireAuthorization(StaffRoles.Policies.Admin);

        return group;
    }

    private static AreaView View(Area area, bool withGeometry) =>
        new(area.Id, area.Name, area.Kind, area.Code, area.Demo, area.CreatedAt,
            withGeometry ? JsonDocument.Parse(AreaStore.ToGeoJson(area.Geometry)).RootElement : null);

    private static string? Text(IReadOnlyDictionary<string, JsonElement> properties, string name) =>
        properties.TryGetValue(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;
}
