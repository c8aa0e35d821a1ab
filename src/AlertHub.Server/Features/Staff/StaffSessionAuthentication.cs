using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Staff;

/// <summary>
/// The staff cookie: it carries only a session id; roles, the CSRF token and the user's state are read from
/// the store on every request, so disabling a user, changing their password or signing out takes effect at once.
/// </summary>
internal static class StaffSessionAuthentication
{
    public const string SchemeName = StaffSchemes.Session;
    public const string CookieName = StaffSchemes.SessionCookie;
    public const string CsrfHeader = "X-CSRF-Token";
    public const string SessionClaim = "alerthub:sid";
    public const string DisplayNameClaim = "alerthub:display_name";
    private const string SessionItem = "alerthub.staff.session";
    private const string CsrfFailedItem = "alerthub.staff.csrf_failed";

    public static string Actor(string username) => "staff:" + username;

    public static ClaimsPrincipal Principal(StaffUser user, string sessionId)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, Actor(user.Username)),
            new(ClaimTypes.Name, user.Username),
            new(DisplayNameClaim, user.DisplayName),
            new(SessionClaim, sessionId),
        };
        claims.AddRange(user.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
    }

    /// <summary>The session validated for this request, when it came in with the staff cookie.</summary>
    public static StaffSession? CurrentStaffSession(this HttpContext context) => context.Items.TryGetValue(SessionItem, out var s) ? s as StaffSession : null;

    public static void Configure(CookieAuthenticationOptions o, StaffOptions staff)
    {
        o.Cookie.Name = CookieName;
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Strict;
        o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.Cookie.Path = "/";
        o.ExpireTimeSpan = staff.SessionIdleTimeout;
        o.SlidingExpiration = true;
        o.Events = new CookieAuthenticationEvents
        {
            OnValidatePrincipal = ValidateAsync,
            // An API never redirects: 401/403 as ProblemDetails.
            OnRedirectToLogin = c => ChallengeAsync(c.HttpContext),
            OnRedirectToAccessDenied = c => Problems.WriteAsync(c.HttpContext, 403, Problems.AuthForbidden, "Your role may not do this.",
                $"Your roles are: {string.Join(", ", c.HttpContext.User.FindAll(ClaimTypes.Role).Select(r => r.Value))}."),
            OnRedirectToLogout = c => Task.CompletedTask,
            OnRedirectToReturnUrl = c => Task.CompletedTask,
        };
    }

    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var store = services.GetRequiredService<StaffUsers>();
        var options = services.GetRequiredService<IOptions<StaffOptions>>().Value;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var sessionId = context.Principal?.FindFirstValue(SessionClaim);
        var found = sessionId is null ? null : await store.GetSessionAsync(sessionId, context.HttpContext.RequestAborted);
        if (found is not { } f || f.User.Disabled || now - f.Session.CreatedAt > options.SessionMaxLifetime
            || now - f.Session.LastSeenAt > options.SessionIdleTimeout)
        {
            if (found is not null)
            {
                await store.EndSessionAsync(sessionId!, context.HttpContext.RequestAborted);
            }

            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SchemeName);
            return;
        }

        // Idle time is tracked server-side too; a write a minute is plenty for that.
        if (now - f.Session.LastSeenAt > TimeSpan.FromMinutes(1))
        {
            await store.TouchSessionAsync(sessionId!, now, context.HttpContext.RequestAborted);
        }

        context.HttpContext.Items[SessionItem] = f.Session;

        // A state-changing request without the session's CSRF token gets no identity at all (the session itself stays):
        // endpoints that check roles by hand see an anonymous caller too, and role-protected ones answer 403 below.
        if (IsUnsafe(context.HttpContext.Request.Method) && !context.HttpContext.Request.Path.StartsWithSegments("/hubs")
            && !CsrfTokenMatches(context.HttpContext.Request.Headers[CsrfHeader], f.Session.CsrfToken))
        {
            context.HttpContext.Items[CsrfFailedItem] = true;
            context.RejectPrincipal();
            return;
        }

        context.ReplacePrincipal(Principal(f.User, sessionId!));
    }

    private static bool IsUnsafe(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));

    private static Task ChallengeAsync(HttpContext context) =>
        context.Items.ContainsKey(CsrfFailedItem)
            ? Problems.WriteAsync(context, 403, Problems.AuthCsrfInvalid, "The CSRF token is missing or wrong.",
                $"Send the csrfToken from /api/staff/session in the {CsrfHeader} header.")
            : Problems.WriteAsync(context, 401, Problems.AuthSessionInvalid, "Sign in again.", "Not signed in, or the session has ended.");

    public static bool CsrfTokenMatches(string? presented, string expected) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
}
