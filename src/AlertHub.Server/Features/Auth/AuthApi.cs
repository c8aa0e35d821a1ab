using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.Authentication;

namespace AlertHub.Server.Features.Auth;

internal sealed record CreateKeyRequest(string? Name, string? Role);
internal sealed record CreatedKey(string Id, string Name, string Role, string Key);

internal static class AuthApi
{
    public const string StaffScheme = "Staff";

    public static IHostApplicationBuilder AddStaffAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection("Auth"));
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddSingleton<Health.IStartupStep, AdminKeyBootstrap>();
        builder.Services.AddSingleton<CredentialChanges>();
        builder.Services.AddSingleton<AuditLog>();
        // Staff authenticate with an API key or a browser session cookie: one policy scheme picks per request, so
        // every role policy and the SignalR staff group accept either without knowing which.
        builder.Services.AddAuthentication(StaffScheme)
            .AddPolicyScheme(StaffScheme, "API key or staff session", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(StaffRoles.Policies.Admin, p => p.RequireRole(StaffRoles.RolesSatisfying(StaffRoles.Admin)))
            .AddPolicy(StaffRoles.Policies.Approver, p => p.RequireRole(StaffRoles.RolesSatisfying(StaffRoles.Approver)))
            .AddPolicy(StaffRoles.Policies.Issuer, p => p.RequireRole(StaffRoles.RolesSatisfying(StaffRoles.Issuer)))
            .AddPolicy(StaffRoles.Policies.Viewer, p => p.RequireRole(StaffRoles.RolesSatisfying(StaffRoles.Viewer)))
            .AddPolicy(StaffRoles.Policies.Ingest, p => p.RequireRole(StaffRoles.RolesSatisfying(StaffRoles.Ingest)));
        return builder;
    }

    /// <summary>A presented API key always wins; the staff cookie is used only when no key was sent.</summary>
    private static string SelectScheme(HttpContext context)
    {
        if (context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName)
            || (context.Request.Path.StartsWithSegments("/hubs") && context.Request.Query.ContainsKey("access_token")))
        {
            return ApiKeyAuthenticationHandler.SchemeName;
        }

        return context.Request.Cookies.ContainsKey(StaffSchemes.SessionCookie)
            ? StaffSchemes.Session
            : ApiKeyAuthenticationHandler.SchemeName;
    }

    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/keys").WithTags("Staff keys").RequireAuthorization(StaffRoles.Policies.Admin);

        keys.MapGet("/", async (ApiKeys store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct)));

        keys.MapPost("/", async Task<Results<Created<CreatedKey>, ProblemHttpResult>> (CreateKeyRequest request, ApiKeys store, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
            {
                return Problems.BadRequest(Problems.InvalidRequest, "name is required (at most 100 characters).");
            }

            if (request.Role is null || !StaffRoles.All.Contains(request.Role))
            {
                return Problems.BadRequest(Problems.KeyRoleInvalid, $"role must be one of: {string.Join(", ", StaffRoles.All)}.");
            }

            var plaintext = ApiKeys.NewKey();
            var key = await store.CreateAsync(request.Name, request.Role, plaintext, ct);
            await audit.WriteAsync(http.User.Actor(), "keys.create", key.Id, $"{key.Name} as {key.Role}", ct);
            return TypedResults.Created($"/api/keys/{key.Id}", new CreatedKey(key.Id, key.Name, key.Role, plaintext));
        });

        keys.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, ApiKeys store, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (!await store.RevokeAsync(id, ct))
            {
                return Problems.NotFoundProblem(Problems.KeyNotFound, $"No active key {id}.");
            }

            await audit.WriteAsync(http.User.Actor(), "keys.revoke", id, null, ct);
            return TypedResults.NoContent();
        });

        app.MapGet("/api/audit", async (AuditLog audit, int? limit, long? before, CancellationToken ct) =>
                TypedResults.Ok(await audit.ListAsync(Math.Clamp(limit ?? 100, 1, 1000), before, ct)))
            .WithTags("Audit").RequireAuthorization(StaffRoles.Policies.Admin);

        return keys;
    }
}
