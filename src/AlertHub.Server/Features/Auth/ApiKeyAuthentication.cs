using System.Security.Claims;
using System.Text.Encodings.Web;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Auth;

/// <summary>
/// Authenticates staff by <c>X-Api-Key</c> (or, for SignalR from browsers, the <c>access_token</c> query
/// parameter on /hubs). Missing or unknown keys get 401, a key with too small a role gets 403, both as
/// ProblemDetails.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeys keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = Request.Headers[HeaderName];
        if (string.IsNullOrEmpty(presented) && Request.Path.StartsWithSegments("/hubs"))
        {
            presented = Request.Query["access_token"];
        }

        if (string.IsNullOrEmpty(presented))
        {
            return AuthenticateResult.NoResult();
        }

        var key = await keys.FindAsync(presented, Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, key.Id), new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var hasKey = !string.IsNullOrEmpty(Request.Headers[HeaderName]) || !string.IsNullOrEmpty(Request.Query["access_token"]);
        return hasKey
            ? Problems.WriteAsync(Context, 401, Problems.AuthInvalidKey, "The API key is not valid.", "The key is unknown or has been revoked.")
            : Problems.WriteAsync(Context, 401, Problems.AuthMissingKey, "An API key is required.", $"Send a staff key in the {HeaderName} header.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, 403, Problems.AuthForbidden, "This key's role may not do this.",
            $"The key's role is '{Context.User.FindFirstValue(ClaimTypes.Role)}'.");
}

internal static class StaffPrincipal
{
    /// <summary>Audit name: "name (key id)".</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? $"{user.FindFirstValue(ClaimTypes.Name)} ({user.FindFirstValue(ClaimTypes.NameIdentifier)})" : "anonymous";
}
