using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Residents;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Safety;

internal sealed record SafetyRequest(string? Status, string? AlertId, string? Note, GeoPoint? Location);

/// <summary>A reply as the map and the <c>safetyReply</c> staff event see it.</summary>
internal static class SafetyFeatures
{
    public static SafetyFeature Of(SafetyReply r, double? placeLat, double? placeLon)
    {
        var (geometry, source) = r is { Lat: { } lat, Lon: { } lon } ? (PointGeometry.At(lat, lon), "reply")
            : placeLat is { } pLat && placeLon is { } pLon ? (PointGeometry.At(pLat, pLon), "place") : ((PointGeometry?)null, (string?)null);
        return new SafetyFeature("Feature", geometry, new SafetyProperties(r.Id, r.ResidentId, r.Status, r.AlertId, r.Note, r.At, source));
    }
}

internal sealed record SafetyFeatureCollection(string Type, IReadOnlyList<SafetyFeature> Features);

internal static class SafetyApi
{
    public static readonly IReadOnlyList<string> Statuses = ["safe", "need-help"];

    public static IHostApplicationBuilder AddSafety(this IHostApplicationBuilder builder)
    {
        // The replies' owner, ISafetyReplyStore, is registered with the other stores (Storage).
        return builder;
    }

    public static IEndpointRouteBuilder MapSafetyApi(this IEndpointRouteBuilder app)
    {
        // 安否: the resident says "safe" or "I need help"; staff see it on the map at once.
        app.MapPost("/api/residents/{id:guid}/safety", async Task<Results<Created<SafetyFeature>, ProblemHttpResult>> (Guid id, SafetyRequest request,
            HttpRequest http, ResidentStore residents, IResidentStore places, AlertRecords alerts, ISafetyReplyStore store, IStaffEvents staff, TimeProvider time, CancellationToken ct) =>
        {
            if (!await residents.VerifyTokenAsync(id, ResidentsApi.ResidentToken(http), ct))
            {
                return Problems.Create(401, Problems.AuthInvalidResidentToken, "The resident token is not valid.",
                    "Send the token returned at registration as 'Authorization: Bearer <token>'.");
            }

            string? error = null;
            if (request.Status is null || !Statuses.Contains(request.Status))
            {
                error = "status is \"safe\" or \"need-help\".";
            }
            else if (request.Note is { Length: > 500 })
            {
                error = "note is at most 500 characters.";
            }
            else if (request.Location is { } l && (!(l.Lat is >= -90 and <= 90) || !(l.Lon is >= -180 and <= 180)))
            {
                error = "location needs lat in [-90, 90] and lon in [-180, 180].";
            }
            else if (request.AlertId is { } alertId && (alertId.Length > 64 || await alerts.GetHeadAsync(alertId, ct) is null))
            {
                error = $"No alert {alertId}.";
            }

            if (error is not null)
            {
                return Problems.BadRequest(Problems.SafetyInvalid, error);
            }

            var reply = new SafetyReply(0, id, request.AlertId, request.Status!, string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim(),
                request.Location?.Lat, request.Location?.Lon, time.GetUtcNow());
            reply = reply with { Id = await store.AddAsync(reply, ct) };
            var home = reply.Lat is null ? await places.HomeAsync(id, ct) : null;
            var feature = SafetyFeatures.Of(reply, home?.Lat, home?.Lon);
            await staff.SafetyReplyAsync(feature, ct);
            return TypedResults.Created($"/api/safety?alertId={reply.AlertId}", feature);
        }).WithTags("Safety");

        app.MapGet("/api/safety", async (string? alertId, int? limit, ISafetyReplyStore store, CancellationToken ct) =>
        {
            var latest = await store.LatestAsync(alertId, Math.Clamp(limit ?? 5000, 1, 50_000), ct);
            return TypedResults.Ok(new SafetyFeatureCollection("FeatureCollection", latest.Select(l => SafetyFeatures.Of(l.Reply, l.PlaceLat, l.PlaceLon)).ToList()));
        }).WithTags("Safety").RequireAuthorization(StaffRoles.Policies.Viewer);

        return app;
    }
}
