using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Shelters;

/// <summary>POST and PUT body; on PUT only the fields given change.</summary>
internal sealed record ShelterRequest(string? Id, string? Name, string? NameEn, GeoPoint? Location, string? Status, int? Capacity, int? Occupancy);

internal static class ShelterEvents
{
    /// <summary>The <c>shelterStatus</c> event: the shelter as GET shows it, what its status was, and whether it was removed.</summary>
    public static ShelterStatusEvent Of(Shelter s, string? previous, bool deleted = false) =>
        new(s.Id, s.Name, s.NameEn, new ShelterLocation(s.Location.Lat, s.Location.Lon), s.Status, s.Capacity, s.Occupancy, s.UpdatedAt, previous, deleted);
}

internal sealed record ShelterImportRejection(int Index, string Reason);

internal sealed record ShelterImportResult(int Added, int Updated, IReadOnlyList<ShelterImportRejection> Rejected);

internal static class SheltersApi
{
    /// <summary>What the shelter endpoints need besides the store (which Storage registers): the change signal publishers wait on.</summary>
    public static IHostApplicationBuilder AddShelters(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ShelterChanges>();
        return builder;
    }

    public static RouteGroupBuilder MapSheltersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/shelters").WithTags("Shelters");

        // Residents see shelter status without signing in (避難所の状況をリアルタイムで).
        group.MapGet("/", async (IShelterStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct))).AllowAnonymous();

        group.MapGet("/{id}", async Task<Results<Ok<Shelter>, ProblemHttpResult>> (string id, IShelterStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } shelter ? TypedResults.Ok(shelter) : NotFound(id)).AllowAnonymous();

        group.MapPost("/", async Task<Results<Created<Shelter>, ProblemHttpResult>> (ShelterRequest request, IShelterStore store, AuditLog audit,
            IStaffEvents staff, ShelterChanges changes, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            if (request.Name is null || request.Location is null)
            {
                return Problems.BadRequest(Problems.ShelterInvalid, "name and location {lat, lon} are required.");
            }

            var id = request.Id ?? Guid.NewGuid().ToString("N");
            var shelter = new Shelter(id, request.Name, request.NameEn, request.Location, request.Status ?? "closed", request.Capacity, request.Occupancy,
                time.GetUtcNow());
            if (Validate(shelter, request.Id is not null) is { } problem)
            {
                return problem;
            }

            if (await store.GetAsync(id, ct) is not null)
            {
                return Problems.Create(409, Problems.ShelterExists, "The shelter exists.", $"A shelter {id} exists; PUT /api/shelters/{id} changes it.");
            }

            await store.UpsertAsync(shelter, http.User.Actor(), ct);
            await audit.WriteAsync(http.User.Actor(), "shelters.create", id, $"{shelter.Name}: {shelter.Status}", ct);
            await staff.ShelterStatusAsync(ShelterEvents.Of(shelter, null), ct);
            changes.Changed();
            return TypedResults.Created($"/api/shelters/{id}", shelter);
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        group.MapPut("/{id}", async Task<Results<Ok<Shelter>, ProblemHttpResult>> (string id, ShelterRequest request, IShelterStore store, AuditLog audit,
            IStaffEvents staff, ShelterChanges changes, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is not { } current)
            {
                return NotFound(id);
            }

            var shelter = current with
            {
                Name = request.Name ?? current.Name,
                NameEn = request.NameEn ?? current.NameEn,
                Location = request.Location ?? current.Location,
                Status = request.Status ?? current.Status,
                Capacity = request.Capacity ?? current.Capacity,
                Occupancy = request.Occupancy ?? current.Occupancy,
                UpdatedAt = time.GetUtcNow(),
            };
            if (Validate(shelter, checkId: false) is { } problem)
            {
                return problem;
            }

            await store.UpsertAsync(shelter, http.User.Actor(), ct);
            await audit.WriteAsync(http.User.Actor(), "shelters.update", id,
                $"{current.Status} → {shelter.Status}, occupancy {current.Occupancy?.ToString() ?? "-"} → {shelter.Occupancy?.ToString() ?? "-"}", ct);
            await staff.ShelterStatusAsync(ShelterEvents.Of(shelter, current.Status), ct);
            changes.Changed();
            return TypedResults.Ok(shelter);
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, IShelterStore store, AuditLog audit, IStaffEvents staff, ShelterChanges changes,
            HttpContext http, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is not { } current || !await store.DeleteAsync(id, ct))
            {
                return NotFound(id);
            }

            await audit.WriteAsync(http.User.Actor(), "shelters.delete", id, current.Name, ct);
            await staff.ShelterStatusAsync(ShelterEvents.Of(current, current.Status, deleted: true), ct);
            changes.Changed();
            return TypedResults.NoContent();
        }).RequireAuthorization(StaffRoles.Policies.Admin);

        // Official lists (国土地理院 指定避難所 GeoJSON, or our own shape) loaded at run time; live status is kept on re-import.
        group.MapPost("/import", async Task<Results<Ok<ShelterImportResult>, ProblemHttpResult>> (JsonElement body, IShelterStore store, AuditLog audit,
            IStaffEvents staff, ShelterChanges changes, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest(Problems.ShelterInvalid, "The body is a GeoJSON FeatureCollection of Point features.");
            }

            var (added, updated) = (0, 0);
            var rejected = new List<ShelterImportRejection>();
            var index = -1;
            foreach (var feature in features.EnumerateArray())
            {
                index++;
                var (candidate, reason) = ReadFeature(feature, time.GetUtcNow());
                if (candidate is null)
                {
                    rejected.Add(new ShelterImportRejection(index, reason!));
                    continue;
                }

                var existing = await store.GetAsync(candidate.Id, ct);
                var explicitStatus = feature.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("status", out _);
                var shelter = existing is null ? candidate : candidate with
                {
                    Status = explicitStatus ? candidate.Status : existing.Status,
                    Capacity = candidate.Capacity ?? existing.Capacity,
                    Occupancy = candidate.Occupancy ?? existing.Occupancy,
                    NameEn = candidate.NameEn ?? existing.NameEn,
                };
                if (Validate(shelter, checkId: true) is { } problem)
                {
                    rejected.Add(new ShelterImportRejection(index, (problem.ProblemDetails.Detail ?? "invalid")));
                    continue;
                }

                await store.UpsertAsync(shelter, http.User.Actor(), ct);
                if (existing is null) { added++; } else { updated++; }
            }

            var result = new ShelterImportResult(added, updated, rejected);
            await audit.WriteAsync(http.User.Actor(), "shelters.import", null, $"{added} added, {updated} updated, {rejected.Count} rejected", ct);
            await staff.SheltersImportedAsync(new SheltersImportedEvent(added, updated), ct);
            changes.Changed();
            return TypedResults.Ok(result);
        }).RequireAuthorization(StaffRoles.Policies.Admin).WithMetadata(new BodyLimit(32 * 1024 * 1024));

        return group;
    }

    private static (Shelter? Shelter, string? Reason) ReadFeature(JsonElement feature, DateTimeOffset now)
    {
        if (feature.ValueKind != JsonValueKind.Object || !feature.TryGetProperty("geometry", out var geometry) || geometry.ValueKind != JsonValueKind.Object
            || !geometry.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "Point"
            || !geometry.TryGetProperty("coordinates", out var coordinates) || coordinates.ValueKind != JsonValueKind.Array || coordinates.GetArrayLength() < 2
            || coordinates[0].ValueKind != JsonValueKind.Number || coordinates[1].ValueKind != JsonValueKind.Number)
        {
            return (null, "geometry must be a Point [lon, lat].");
        }

        var properties = feature.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        string? Text(params string[] names)
        {
            if (properties.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var name in names)
            {
                if (properties.TryGetProperty(name, out var v))
                {
                    var text = v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null };
                    if (!string.IsNullOrWhiteSpace(text))
                    {
                        return text.Trim();
                    }
                }
            }

            return null;
        }

        int? Number(string name) =>
            properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)
                ? n : null;

        var id = Text("id", "共通ID", "NO");
        var name = Text("name", "施設・場所名");
        if (id is null || name is null)
        {
            return (null, "properties need an id (id, 共通ID or NO) and a name (name or 施設・場所名).");
        }

        return (new Shelter(id, name, Text("nameEn"), new GeoPoint(coordinates[1].GetDouble(), coordinates[0].GetDouble()), Text("status") ?? "closed",
            Number("capacity"), Number("occupancy"), now), null);
    }

    private static ProblemHttpResult? Validate(Shelter s, bool checkId)
    {
        string? error = null;
        if (checkId && (s.Id.Length is 0 or > 64 || s.Id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
        {
            error = "id is 1–64 characters of letters, digits, '-', '_' or '.'.";
        }
        else if (string.IsNullOrWhiteSpace(s.Name) || s.Name.Length > 200 || s.NameEn is { Length: > 200 })
        {
            error = "name is required; name and nameEn are at most 200 characters.";
        }
        else if (!(s.Location.Lat is >= -90 and <= 90) || !(s.Location.Lon is >= -180 and <= 180))
        {
            error = "location needs lat in [-90, 90] and lon in [-180, 180].";
        }
        else if (!ShelterStatuses.All.Contains(s.Status))
        {
            error = $"status is one of: {string.Join(", ", ShelterStatuses.All)}.";
        }
        else if (s.Capacity is < 0 || s.Occupancy is < 0)
        {
            error = "capacity and occupancy are not negative.";
        }

        return error is null ? null : Problems.BadRequest(Problems.ShelterInvalid, error);
    }

    private static ProblemHttpResult NotFound(string id) => Problems.NotFoundProblem(Problems.ShelterNotFound, $"No shelter {id}.");
}
