using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Alerts;

internal static class AlertsApi
{
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AlertsOptions>(builder.Configuration.GetSection("Alerts"));
        builder.Services.AddSingleton<AlertStore>();
        builder.Services.AddSingleton<AlertService>();
        builder.Services.AddSingleton<DraftStore>();
        return builder;
    }

    public static RouteGroupBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/alerts").WithTags("Alerts");

        group.MapPost("/", async (AlertRequest request, AlertService alerts, HttpContext http, CancellationToken ct) =>
        {
            var issued = await alerts.IssueAsync(request, http.User.Actor(), ct);
            return TypedResults.Accepted($"/api/alerts/{issued.Id}", issued);
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        group.MapGet("/", async (AlertStore store, int? limit, CancellationToken ct) =>
            TypedResults.Ok((await store.ListAsync(Math.Clamp(limit ?? 50, 1, 500), ct))
                .Select(a => new { a.Id, a.Version, a.State, a.CreatedAt })))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapGet("/{id}", async Task<Results<Ok<AlertView>, ProblemHttpResult>> (string id, AlertStore store, Delivery.DeliveryTimings timings, CancellationToken ct) =>
        {
            var head = await store.GetHeadAsync(id, ct);
            if (head is null)
            {
                return Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
            }

            var current = await store.GetVersionAsync(id, head.Value.CurrentVersion, ct);
            return TypedResults.Ok(new AlertView(id, head.Value.State, head.Value.CurrentVersion, current!,
                await store.ListVersionsAsync(id, ct), await store.SummariseAsync(id, ct), timings.For(id), current!.Image?.Url));
        }).RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapPost("/{id}/update", async Task<Results<Accepted<IssuedAlert>, ProblemHttpResult>> (string id, AlertUpdateRequest request, AlertService alerts,
            HttpContext http, CancellationToken ct) =>
            await alerts.UpdateAsync(id, request, http.User.Actor(), ct) is { } issued
                ? TypedResults.Accepted($"/api/alerts/{id}", issued)
                : Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}."))
            .RequireAuthorization(StaffRoles.Policies.Issuer);

        group.MapPost("/{id}/cancel", async Task<Results<Accepted<IssuedAlert>, ProblemHttpResult>> (string id, AlertService alerts, HttpContext http,
            CancellationToken ct) =>
        {
            AlertCancelRequest? request = null;
            if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
            {
                request = await http.Request.ReadFromJsonAsync<AlertCancelRequest>(Json.Options, ct);
            }

            return await alerts.CancelAsync(id, request, http.User.Actor(), ct) is { } issued
                ? TypedResults.Accepted($"/api/alerts/{id}", issued)
                : Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        var drafts = app.MapGroup("/api/alert-drafts").WithTags("Alert drafts");
        drafts.MapGet("/", async (DraftStore store, string? state, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(state, ct)))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        // A second person issues a draft: the approver may not be the one who created it.
        drafts.MapPost("/{id}/approve", async Task<Results<Accepted<IssuedAlert>, ProblemHttpResult>> (string id, DraftStore store, AlertService alerts,
            AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            var draft = await store.GetAsync(id, ct);
            if (draft is null || draft.State != "pending")
            {
                return Problems.NotFoundProblem(Problems.DraftNotFound, $"No pending draft {id}.");
            }

            var actor = http.User.Actor();
            if (draft.CreatedBy == actor)
            {
                return Problems.Create(403, Problems.DraftSelfApproval, "A draft needs a second person.", "The approver must not be the draft's author.");
            }

            var issued = await alerts.IssueAsync(draft.Request with { SourceEventId = draft.SourceEventId }, actor, ct);
            await store.DecideAsync(id, "approved", actor, null, issued.Id, ct);
            await audit.WriteAsync(actor, "alerts.draft.approve", id, $"issued {issued.Id}", ct);
            return TypedResults.Accepted($"/api/alerts/{issued.Id}", issued);
        }).RequireAuthorization(StaffRoles.Policies.Approver);

        drafts.MapPost("/{id}/reject", async Task<Results<NoContent, ProblemHttpResult>> (string id, DraftDecision decision, DraftStore store, AuditLog audit,
            HttpContext http, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(decision.Reason))
            {
                return Problems.BadRequest(Problems.AlertInvalid, "A rejection needs a reason.");
            }

            if (!await store.DecideAsync(id, "rejected", http.User.Actor(), decision.Reason, null, ct))
            {
                return Problems.NotFoundProblem(Problems.DraftNotFound, $"No pending draft {id}.");
            }

            await audit.WriteAsync(http.User.Actor(), "alerts.draft.reject", id, decision.Reason, ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(StaffRoles.Policies.Approver);

        // The resident's "I got it" (app button, web inbox, LINE postback): stops further escalation steps.
        group.MapPost("/{id}/ack", async Task<Results<Ok<AckResult>, ProblemHttpResult>> (string id, AckRequest request, HttpRequest http,
            ResidentStore residents, AlertService alerts, CancellationToken ct) =>
        {
            if (request.ResidentId is not Guid residentId || !await residents.VerifyTokenAsync(residentId, ResidentsApi.ResidentToken(http), ct))
            {
                return Problems.Create(401, Problems.AuthInvalidResidentToken, "The resident token is not valid.",
                    "Send residentId in the body and the resident token as 'Authorization: Bearer <token>'.");
            }

            var via = request.Via is { Length: > 0 and <= 32 } v ? v : "app";
            return await alerts.AcknowledgeAsync(id, residentId, via, ct) is { } result
                ? TypedResults.Ok(result)
                : Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
        });

        return group;
    }
}
