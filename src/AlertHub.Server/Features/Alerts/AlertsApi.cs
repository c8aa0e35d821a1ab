using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.Server.Features.Auth;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Staff;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Alerts;

internal static class AlertsApi
{
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AlertsOptions>(builder.Configuration.GetSection("Alerts"));
        builder.Services.AddSingleton<AlertRecords>();
        builder.Services.AddSingleton<AlertService>();
        builder.Services.AddSingleton<AlertQueueing>();
        builder.Services.AddSingleton<Health.IStartupStep, IssueRehearsal>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertQueueing>());
        builder.Services.AddSingleton<AlertDrafts>();
        return builder;
    }

    public static RouteGroupBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/alerts").WithTags("Alerts");

        group.MapPost("/", async Task<Results<Accepted<IssuedAlert>, ProblemHttpResult>> (JsonObject body, AlertService alerts,
            IOptions<AlertsOptions> options, HttpContext http, CancellationToken ct) =>
        {
            string? bypassReason = null;
            if (options.Value.RequireApproval)
            {
                if (!StaffRoles.RolesSatisfying(StaffRoles.Approver).Any(http.User.IsInRole))
                {
                    return Problems.Create(403, Problems.AlertApprovalRequired, "A second person must approve this alert.",
                        "Submit it with POST /api/alert-drafts; an approver issues it.");
                }

                if (ReadBypassReason(body, http, out bypassReason) is { } problem)
                {
                    return problem;
                }
            }

            var request = body.Deserialize<AlertRequest>(Json.Options) ?? throw new RequestValidationException(Problems.AlertInvalid, "The body is empty.");
            var issued = await alerts.IssueAsync(request, http.User.Actor(), ct,
                bypassReason: options.Value.RequireApproval ? bypassReason ?? "no reason given (API key)" : null);
            return TypedResults.Accepted($"/api/alerts/{issued.Id}", issued);
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        // The board's list and the history search: newest first, filtered by words, 訓練/本番, state and time.
        group.MapGet("/", async Task<Results<Ok<IReadOnlyList<AlertListItem>>, ProblemHttpResult>> (AlertRecords store, int? limit, string? q, string? status,
            string? state, DateTimeOffset? from, DateTimeOffset? to, DateTimeOffset? before, CancellationToken ct) =>
        {
            AlertStatus? wanted = null;
            if (status is not null)
            {
                if (!Enum.TryParse<AlertStatus>(status, ignoreCase: true, out var parsed) || int.TryParse(status, out _))
                {
                    return Problems.BadRequest(Problems.AlertInvalid, "status is Actual, Exercise or Test.");
                }

                wanted = parsed;
            }

            if (state is not null && state is not ("issued" or "cancelled" or "ended" or "expired" or "active"))
            {
                return Problems.BadRequest(Problems.AlertInvalid, "state is issued, cancelled, ended, expired or active.");
            }

            if (q is { Length: > 200 })
            {
                return Problems.BadRequest(Problems.AlertInvalid, "q is at most 200 characters.");
            }

            return TypedResults.Ok(await store.ListAsync(new AlertListFilter(q, wanted, state, from, to, before, Math.Clamp(limit ?? 50, 1, 500)), ct));
        }).RequireAuthorization(StaffRoles.Policies.Viewer);

        // What a send would put in front of residents, per channel and language, and who it would reach: the confirmation screen.
        group.MapPost("/render-preview", async Task<Results<Ok<RenderPreview>, ProblemHttpResult>> (RenderPreviewRequest request, AlertService alerts,
            CancellationToken ct) =>
            await alerts.PreviewAsync(request, ct) is { } preview
                ? TypedResults.Ok(preview)
                : Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {request.AlertId}."))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapGet("/{id}", async Task<Results<Ok<AlertView>, ProblemHttpResult>> (string id, AlertRecords store, DeliveryTimings timings, CancellationToken ct) =>
        {
            var head = await store.GetHeadAsync(id, ct);
            if (head is null)
            {
                return Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
            }

            var current = await store.GetVersionAsync(id, head.Value.CurrentVersion, ct);
            var people = await store.PeopleAndRepliesAsync(id, ct);
            return TypedResults.Ok(new AlertView(id, head.Value.State, head.Value.CurrentVersion, current!,
                await store.ListVersionsAsync(id, ct), await store.SummariseAsync(id, ct), timings.For(id), current!.Image?.Url)
            {
                Provenance = people?.Provenance,
                Safety = people?.Safety,
            });
        }).RequireAuthorization(StaffRoles.Policies.Viewer);

        // Under Alerts:RequireApproval an update that changes the texts or the hazard, raises the severity or reaches
        // anyone new needs a second person, like an issue: issuers submit it as an update draft, approvers may bypass
        // with a reason. Cancels and all-clears never wait; feed rules in auto mode update as they issue.
        group.MapPost("/{id}/update", async Task<Results<Accepted<IssuedAlert>, ProblemHttpResult>> (string id, JsonObject body, AlertService alerts,
            IOptions<AlertsOptions> options, HttpContext http, CancellationToken ct) =>
        {
            var request = body.Deserialize<AlertUpdateRequest>(Json.Options) ?? throw new RequestValidationException(Problems.AlertInvalid, "The body is empty.");
            string? bypassReason = null;
            IReadOnlyList<string>? changes = null;
            if (options.Value.RequireApproval)
            {
                changes = await alerts.ChangesNeedingApprovalAsync(id, request, ct);
                if (changes is null)
                {
                    return Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
                }

                if (changes.Count > 0)
                {
                    if (!StaffRoles.RolesSatisfying(StaffRoles.Approver).Any(http.User.IsInRole))
                    {
                        return Problems.Create(403, Problems.AlertApprovalRequired, "A second person must approve this update.",
                            $"It changes {string.Join(", ", changes)}. Submit it with POST /api/alerts/{id}/update-drafts; an approver issues it.",
                            new Dictionary<string, object?> { ["changes"] = changes });
                    }

                    if (ReadBypassReason(body, http, out bypassReason) is { } problem)
                    {
                        return problem;
                    }
                }
            }

            var bypass = changes is { Count: > 0 } ? $"{string.Join(", ", changes)}: {bypassReason ?? "no reason given (API key)"}" : null;
            if (await alerts.UpdateAsync(id, request, http.User.Actor(), ct, bypass: bypass) is not { } issued)
            {
                return Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
            }

            return TypedResults.Accepted($"/api/alerts/{id}", issued);
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        // An update waiting for a second person (same body as /update).
        group.MapPost("/{id}/update-drafts", async Task<Results<Created<AlertDraft>, ProblemHttpResult>> (string id, AlertUpdateRequest request,
            AlertService alerts, AlertDrafts store, AuditLog audit, IStaffEvents staff, HttpContext http, CancellationToken ct) =>
        {
            if (await alerts.ChangesNeedingApprovalAsync(id, request, ct) is null)
            {
                return Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
            }

            var asRequest = new AlertRequest(null, MsgType.Update, request.Event, request.Severity, request.Urgency, request.Certainty, request.Area,
                request.Audience, request.Channels, request.Texts, null, request.Expires, null, Image: request.Image);
            var draft = await store.CreateAsync(asRequest, null, null, http.User.Actor(), ct, updatesAlertId: id);
            await audit.WriteAsync(http.User.Actor(), "alerts.draft.submit", draft.Id, $"update of {id}", ct);
            await NotifyDraftAsync(staff, draft, ct);
            return TypedResults.Created($"/api/alert-drafts/{draft.Id}", draft);
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

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

        // The hazard is over: a last update marked 【解除】 to everyone an earlier version reached.
        group.MapPost("/{id}/all-clear", async Task<Results<Accepted<IssuedAlert>, ProblemHttpResult>> (string id, AlertService alerts, HttpContext http,
            CancellationToken ct) =>
        {
            AlertCancelRequest? request = null;
            if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
            {
                request = await http.Request.ReadFromJsonAsync<AlertCancelRequest>(Json.Options, ct);
            }

            return await alerts.AllClearAsync(id, request?.Texts, null, http.User.Actor(), ct) is { } issued
                ? TypedResults.Accepted($"/api/alerts/{id}", issued)
                : Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {id}.");
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        var drafts = app.MapGroup("/api/alert-drafts").WithTags("Alert drafts");

        // An issuer's alert waits here until a different approver issues or rejects it.
        drafts.MapPost("/", async Task<Results<Created<AlertDraft>, ProblemHttpResult>> (AlertRequest request, AlertDrafts store, AuditLog audit,
            IStaffEvents staff, Targeting.TargetingService targeting, HttpContext http, CancellationToken ct) =>
        {
            if (CheckDraft(request) is { } problem)
            {
                return problem;
            }

            // A draft whose area cannot be resolved could never be approved: say so now, to the person writing it.
            targeting.ResolveShapes(request.Area);

            var draft = await store.CreateAsync(request, request.SourceEventId, null, http.User.Actor(), ct);
            await audit.WriteAsync(http.User.Actor(), "alerts.draft.submit", draft.Id, request.Texts!.Values.Select(t => t.Headline).FirstOrDefault(h => h is not null), ct);
            await NotifyDraftAsync(staff, draft, ct);
            return TypedResults.Created($"/api/alert-drafts/{draft.Id}", draft);
        }).RequireAuthorization(StaffRoles.Policies.Issuer);

        drafts.MapGet("/", async (AlertDrafts store, string? state, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(state, ct)))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        // A second person issues a draft: the approver may not be the one who created it.
        drafts.MapPost("/{id}/approve", async Task<Results<Accepted<IssuedAlert>, ProblemHttpResult>> (string id, AlertDrafts store, AlertService alerts,
            AuditLog audit, IStaffEvents staff, HttpContext http, CancellationToken ct) =>
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

            // The draft is marked approved in the same transaction that stores the alert: a second approval racing
            // this one gets 409 and issues nothing.
            IssuedAlert issued;
            if (draft.UpdatesAlertId is { } updated)
            {
                var r = draft.Request;
                var update = new AlertUpdateRequest(r.Event, r.Severity, r.Urgency, r.Certainty, r.Area, r.Audience, r.Channels, r.Texts, r.Expires) { Image = r.Image };
                if (await alerts.UpdateAsync(updated, update, actor, ct, approvingDraftId: id) is not { } done)
                {
                    return Problems.NotFoundProblem(Problems.AlertNotFound, $"No alert {updated}.");
                }

                issued = done;
            }
            else
            {
                issued = await alerts.IssueAsync(draft.Request with { SourceEventId = draft.SourceEventId }, actor, ct, approvingDraftId: id);
            }

            await audit.WriteAsync(actor, "alerts.draft.approve", id, $"issued {issued.Id}#{issued.Version}", ct);
            await NotifyDraftAsync(staff, draft with { State = "approved", DecidedBy = actor, AlertId = issued.Id }, ct);
            return TypedResults.Accepted($"/api/alerts/{issued.Id}", issued);
        }).RequireAuthorization(StaffRoles.Policies.Approver);

        drafts.MapPost("/{id}/reject", async Task<Results<NoContent, ProblemHttpResult>> (string id, DraftDecision decision, AlertDrafts store, AuditLog audit,
            IStaffEvents staff, HttpContext http, CancellationToken ct) =>
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
            if (await store.GetAsync(id, ct) is { } rejected)
            {
                await NotifyDraftAsync(staff, rejected, ct);
            }
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

    /// <summary>An approver issuing alone is the emergency bypass: people say why; automation with a key may not.</summary>
    private static ProblemHttpResult? ReadBypassReason(JsonObject body, HttpContext http, out string? reason)
    {
        reason = body["bypassReason"] is JsonValue v && v.TryGetValue<string>(out var r) && !string.IsNullOrWhiteSpace(r) ? r.Trim() : null;
        return reason is { Length: > 1000 } || (reason is null && http.User.Identity?.AuthenticationType == StaffSchemes.Session)
            ? Problems.BadRequest(Problems.AlertBypassReasonRequired,
                "Sending without a second person's approval needs bypassReason (at most 1000 characters); or submit a draft.")
            : null;
    }

    /// <summary>The cheap checks up front, so an approver is not handed a draft that cannot be issued; issuing validates fully.</summary>
    private static ProblemHttpResult? CheckDraft(AlertRequest request)
    {
        if (request.Status is null)
        {
            return Problems.BadRequest(Problems.AlertInvalid, "status is required: Actual, Exercise or Test.");
        }

        if (request.MsgType is MsgType.Update or MsgType.Cancel)
        {
            return Problems.BadRequest(Problems.AlertInvalid, "A draft is a new alert: msgType Alert.");
        }

        if (request.Area is null)
        {
            return Problems.BadRequest(Problems.AlertInvalid, "area is required.");
        }

        return request.Texts is { Count: > 0 } texts && texts.Values.Any(t => !string.IsNullOrWhiteSpace(t?.Headline) || !string.IsNullOrWhiteSpace(t?.Body))
            ? null
            : Problems.BadRequest(Problems.AlertTextMissing, "texts needs at least one language with a headline or body.");
    }

    /// <summary>Staff dashboards see drafts arrive and get decided (<c>alertDraft</c>).</summary>
    private static Task NotifyDraftAsync(IStaffEvents staff, AlertDraft draft, CancellationToken ct) =>
        staff.AlertDraftAsync(new AlertDraftEvent(draft.Id, draft.State, draft.CreatedAt, draft.CreatedBy, draft.DecidedAt, draft.DecidedBy, draft.Reason,
            draft.AlertId, draft.Rule, draft.UpdatesAlertId, draft.Request.Event, draft.Request.Status?.ToString(),
            draft.Request.Texts?.Values.Select(t => t.Headline).FirstOrDefault(h => h is not null)), ct);
}