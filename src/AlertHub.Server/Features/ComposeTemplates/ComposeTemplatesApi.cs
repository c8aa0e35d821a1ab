using System.Text.RegularExpressions;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.ComposeTemplates;

/// <summary>The compose screen's starting texts per hazard and language: everyone on staff reads them, admins edit them.</summary>
internal static partial class ComposeTemplatesApi
{
    private const int MaxLanguages = 10;

    public static IHostApplicationBuilder AddComposeTemplates(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ComposeTemplateCatalog>();
        return builder;
    }

    public static RouteGroupBuilder MapComposeTemplatesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/compose-templates").WithTags("Compose templates");

        group.MapGet("/", async (ComposeTemplateCatalog store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct)))
            .RequireAuthorization(StaffRoles.Policies.Viewer);

        group.MapPut("/{id}", async Task<Results<Ok<ComposeTemplate>, Created<ComposeTemplate>, ProblemHttpResult>> (string id, ComposeTemplateRequest request,
            ComposeTemplateCatalog store, AuditLog audit, IOptions<AlertsOptions> options, HttpContext http, CancellationToken ct) =>
        {
            if (Validate(id, request, options.Value) is { } problem)
            {
                return problem;
            }

            var texts = request.Texts!.ToDictionary(kv => kv.Key, kv => new AlertText(Clean(kv.Value.Headline), Clean(kv.Value.Body), Clean(kv.Value.Instruction)));
            var (saved, created) = await store.SaveAsync(id, request.Name!.Trim(), request.Event!.Trim(), request.Severity ?? Severity.Unknown,
                request.Urgency ?? Urgency.Unknown, request.Certainty ?? Certainty.Unknown, texts, request.Sort, http.User.Actor(), ct);
            await audit.WriteAsync(http.User.Actor(), created ? "templates.create" : "templates.update", id,
                $"{saved.Name}: {string.Join(", ", saved.Texts.Keys)}", ct);
            return created ? TypedResults.Created($"/api/compose-templates/{id}", saved) : TypedResults.Ok(saved);
        }).RequireAuthorization(StaffRoles.Policies.Admin);

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, ComposeTemplateCatalog store, AuditLog audit, HttpContext http,
            CancellationToken ct) =>
        {
            if (!await store.DeleteAsync(id, ct))
            {
                return Problems.NotFoundProblem(Problems.TemplateNotFound, $"No template {id}.");
            }

            await audit.WriteAsync(http.User.Actor(), "templates.delete", id, null, ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(StaffRoles.Policies.Admin);

        return group;
    }

    private static ProblemHttpResult? Validate(string id, ComposeTemplateRequest request, AlertsOptions limits)
    {
        string? error = null;
        if (!IdPattern().IsMatch(id))
        {
            error = "The id is 1–40 lower-case letters, digits and hyphens, e.g. flood-yokote-river.";
        }
        else if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 60)
        {
            error = "name is required (at most 60 characters), e.g. 洪水（横手川）.";
        }
        else if (string.IsNullOrWhiteSpace(request.Event) || request.Event.Trim().Length > 100)
        {
            error = "event is required (at most 100 characters), e.g. 洪水.";
        }
        else if (request.Texts is not { Count: > 0 } texts || texts.Count > MaxLanguages)
        {
            error = $"texts needs 1–{MaxLanguages} languages, e.g. {{\"ja\": {{\"headline\": \"…\", \"body\": \"…\", \"instruction\": \"…\"}}}}.";
        }
        else
        {
            foreach (var (language, text) in texts)
            {
                if (!LanguagePattern().IsMatch(language))
                {
                    error = $"'{language}' is not a language tag (ja, ja-x-easy, en, zh-Hans …).";
                }
                else if (text is null || (string.IsNullOrWhiteSpace(text.Headline) && string.IsNullOrWhiteSpace(text.Body)))
                {
                    error = $"texts.{language} needs a headline or a body.";
                }
                else if ((text.Headline?.Length ?? 0) > limits.MaxHeadlineLength || (text.Body?.Length ?? 0) > limits.MaxBodyLength
                         || (text.Instruction?.Length ?? 0) > limits.MaxBodyLength)
                {
                    error = $"texts.{language}: headline ≤ {limits.MaxHeadlineLength}, body and instruction ≤ {limits.MaxBodyLength} characters (the alert's own limits).";
                }

                if (error is not null)
                {
                    break;
                }
            }
        }

        return error is null ? null : Problems.BadRequest(Problems.TemplateInvalid, error);
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}$")]
    private static partial Regex LanguagePattern();
}
