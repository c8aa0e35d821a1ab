using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Rules;

internal static class RulesApi
{
    /// <summary>Registers the rules (<c>Feeds:Rules</c> until staff save their own) and the engine that acts on feed events.</summary>
    public static IHostApplicationBuilder AddRules(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RuleStore>();
        builder.Services.AddSingleton<RuleEngine>();
        builder.Services.AddSingleton<IFeedEventRules>(sp => sp.GetRequiredService<RuleEngine>());
        return builder;
    }

    /// <summary><c>GET /api/rules</c> (viewer) and <c>PUT /api/rules</c> (admin, replaces the whole list).</summary>
    public static RouteGroupBuilder MapRulesApi(this IEndpointRouteBuilder app)
    {
        var rules = app.MapGroup("/api/rules").WithTags("Rules");
        rules.MapGet("/", async (RuleStore store, CancellationToken ct) => TypedResults.Ok(await store.GetAsync(ct)))
            .RequireAuthorization(StaffRoles.Policies.Viewer);
        rules.MapPut("/", async (List<RuleDefinition> definitions, RuleStore store, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            await store.SaveAsync(definitions, http.User.Actor(), ct);
            await audit.WriteAsync(http.User.Actor(), "rules.update", null, string.Join(", ", definitions.Select(d => d.Name)), ct);
            return TypedResults.Ok(definitions);
        }).RequireAuthorization(StaffRoles.Policies.Admin).WithMetadata(new BodyLimit(1024 * 1024));
        return rules;
    }
}
