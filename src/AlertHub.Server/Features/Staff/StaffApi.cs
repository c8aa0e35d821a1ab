using System.Security.Claims;
using System.Text.RegularExpressions;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Staff;

internal sealed record SignInRequest(string? Username, string? Password);
internal sealed record SessionView(string Username, string DisplayName, IReadOnlyList<string> Roles, string CsrfToken);
internal sealed record StaffUserRequest(string? Username, string? DisplayName, string[]? Roles, string? Password, bool? Disabled);
internal sealed record StaffUserView(string Username, string DisplayName, IReadOnlyList<string> Roles, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static StaffUserView Of(StaffUser u) => new(u.Username, u.DisplayName, u.Roles, u.Disabled, u.CreatedAt, u.UpdatedAt);
}

internal static partial class StaffApi
{
    public const string SessionPolicy = "staff-session";

    public static IHostApplicationBuilder AddStaff(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<StaffOptions>(builder.Configuration.GetSection("Staff"));
        services.AddSingleton<StaffUsers>();
        services.AddSingleton<SignInThrottle>();
        if (ClusterRedisOptions.IsConfigured(builder.Configuration))
        {
            // Lockout counted across every node, so spreading guesses over nodes gains nothing.
            services.AddSingleton<ISignInThrottle, ClusterSignInThrottle>();
        }
        else
        {
            services.AddSingleton<ISignInThrottle>(sp => sp.GetRequiredService<SignInThrottle>());
        }

        services.AddSingleton<PasswordHashGate>();
        services.AddHostedService<StaffBootstrap>();
        services.AddAuthentication().AddCookie(StaffSessionAuthentication.SchemeName);
        services.AddOptions<CookieAuthenticationOptions>(StaffSessionAuthentication.SchemeName)
            .Configure<IOptions<StaffOptions>>((o, staff) => StaffSessionAuthentication.Configure(o, staff.Value));
        services.AddAuthorizationBuilder().AddPolicy(SessionPolicy, p => p.AddAuthenticationSchemes(StaffSessionAuthentication.SchemeName).RequireAuthenticatedUser());

        // Cookies must survive a restart: keep the data-protection keys next to the database, not in a home directory.
        services.AddOptions<KeyManagementOptions>().Configure<StoragePaths, ILoggerFactory>((o, paths, loggers) =>
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(paths.DataDirectory, "data-protection-keys")), loggers));
        return builder;
    }

    public static RouteGroupBuilder MapStaffApi(this IEndpointRouteBuilder app)
    {
        var staff = app.MapGroup("/api/staff").WithTags("Staff sign-in");

        staff.MapPost("/session", SignInAsync).AllowAnonymous();

        staff.MapGet("/session", (HttpContext http) => TypedResults.Ok(ViewOf(http))).RequireAuthorization(SessionPolicy);

        staff.MapDelete("/session", async (HttpContext http, StaffUsers users, AuditLog audit, CancellationToken ct) =>
        {
            if (http.User.FindFirstValue(StaffSessionAuthentication.SessionClaim) is { } sessionId)
            {
                await users.EndSessionAsync(sessionId, ct);
            }

            await http.SignOutAsync(StaffSessionAuthentication.SchemeName);
            await audit.WriteAsync(http.User.Actor(), "staff.signout", http.User.Identity?.Name, null, ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(SessionPolicy);

        var users = staff.MapGroup("/users").RequireAuthorization(StaffRoles.Policies.Admin);
        users.MapGet("/", async (StaffUsers store, CancellationToken ct) => TypedResults.Ok((await store.ListAsync(ct)).Select(StaffUserView.Of)));
        users.MapPost("/", CreateUserAsync);
        users.MapPut("/{username}", UpdateUserAsync);
        users.MapDelete("/{username}", DeleteUserAsync);
        return staff;
    }

    private static async Task<Results<Ok<SessionView>, ProblemHttpResult>> SignInAsync(SignInRequest request, HttpContext http, StaffUsers users,
        ISignInThrottle throttle, PasswordHashGate hashing, AuditLog audit, CancellationToken ct)
    {
        var username = Normalize(request.Username);
        if (username is null || string.IsNullOrEmpty(request.Password))
        {
            return Problems.BadRequest(Problems.InvalidRequest, "username and password are required.");
        }

        var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var from = $"sign-in from {address}";

        // The attempt is counted before the password is checked, so a parallel burst cannot get more than the limit checked.
        var (attempt, wait) = await throttle.TryBeginAsync(username, ClientAddress.KeyOf(http));
        if (attempt is null)
        {
            await audit.WriteAsync(from, "staff.signin.refused_locked", username, null, ct);
            return LockedOut(http, wait);
        }

        (StaffUser User, string PasswordHash)? found;
        bool ran, verified;
        try
        {
            // Unknown and disabled users cost the same work, wait in the same queue and get the same answer as a wrong password.
            found = await users.FindAsync(username, ct);
            var password = request.Password;
            (ran, verified) = await hashing.TryRunAsync(
                () => found is { User.Disabled: false } f ? StaffPasswords.Verify(password, f.PasswordHash) : StaffPasswords.VerifyDecoy(password), ct);
        }
        catch
        {
            await throttle.ReleaseAsync(attempt);
            throw;
        }

        if (!ran)
        {
            await throttle.ReleaseAsync(attempt);
            http.Response.Headers.RetryAfter = "2";
            return Problems.Create(503, Problems.AuthSignInBusy, "Sign-in is busy.", "Too many sign-ins are being checked right now. Try again in a few seconds.");
        }

        if (!verified)
        {
            await audit.WriteAsync(from, "staff.signin.failure", username, null, ct);
            if (await throttle.FailAsync(attempt) is { } locked)
            {
                await audit.WriteAsync(from, "staff.signin.lockout", username, $"locked for {Math.Ceiling(locked.TotalSeconds)} s", ct);
                return LockedOut(http, locked);
            }

            return Problems.Create(401, Problems.AuthInvalidCredentials, "The username or password is wrong.");
        }

        await throttle.SucceedAsync(attempt);
        var user = found!.Value.User;
        if (StaffPasswords.NeedsRehash(found.Value.PasswordHash))
        {
            await users.RehashAsync(username, await hashing.RunAsync(() => StaffPasswords.Hash(request.Password), ct), ct);
        }

        var (sessionId, csrf) = await users.StartSessionAsync(username, ct);
        await http.SignInAsync(StaffSessionAuthentication.SchemeName, StaffSessionAuthentication.Principal(user, sessionId),
            new AuthenticationProperties { IsPersistent = false, AllowRefresh = true });
        await audit.WriteAsync($"{username} ({StaffSessionAuthentication.Actor(username)})", "staff.signin", username, address, ct);
        return TypedResults.Ok(new SessionView(user.Username, user.DisplayName, user.Roles, csrf));
    }

    private static ProblemHttpResult LockedOut(HttpContext http, TimeSpan wait)
    {
        var seconds = (int)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Create(429, Problems.AuthLockedOut, "Too many failed sign-ins.", $"Try again in {seconds} seconds.");
    }

    private static SessionView ViewOf(HttpContext http) => new(
        http.User.Identity!.Name!,
        http.User.FindFirstValue(StaffSessionAuthentication.DisplayNameClaim) ?? http.User.Identity.Name!,
        http.User.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList(),
        http.CurrentStaffSession()!.CsrfToken);

    private static async Task<Results<Created<StaffUserView>, ProblemHttpResult>> CreateUserAsync(StaffUserRequest request, StaffUsers store,
        PasswordHashGate hashing, AuditLog audit, HttpContext http, IOptions<StaffOptions> options, TimeProvider time, CancellationToken ct)
    {
        var username = Normalize(request.Username);
        if (username is null || !UsernamePattern().IsMatch(username))
        {
            return Problems.BadRequest(Problems.StaffUserInvalid, "username is 1–64 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit.");
        }

        if (ValidateCommon(request, username, options.Value, passwordRequired: true) is { } problem)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var user = new StaffUser(username, DisplayName(request.DisplayName, username), request.Roles!.Distinct().ToArray(), request.Disabled ?? false, now, now);
        if (!await store.CreateAsync(user, await hashing.RunAsync(() => StaffPasswords.Hash(request.Password!), ct), ct))
        {
            return Problems.Create(409, Problems.StaffUserExists, "The username is taken.", $"A staff user {username} exists.");
        }

        await audit.WriteAsync(http.User.Actor(), "staff.users.create", username, $"roles {string.Join(",", user.Roles)}{(user.Disabled ? ", disabled" : "")}", ct);
        return TypedResults.Created($"/api/staff/users/{username}", StaffUserView.Of(user));
    }

    private static async Task<Results<Ok<StaffUserView>, ProblemHttpResult>> UpdateUserAsync(string username, StaffUserRequest request, StaffUsers store,
        ISignInThrottle throttle, PasswordHashGate hashing, AuditLog audit, HttpContext http, IOptions<StaffOptions> options, TimeProvider time, CancellationToken ct)
    {
        username = Normalize(username) ?? "";
        var existing = await store.FindAsync(username, ct);
        if (existing is not { User: var current })
        {
            return Problems.NotFoundProblem(Problems.StaffUserNotFound, $"No staff user {username}.");
        }

        if (ValidateCommon(request with { Roles = request.Roles ?? [.. current.Roles] }, username, options.Value, passwordRequired: false) is { } problem)
        {
            return problem;
        }

        var updated = current with
        {
            DisplayName = request.DisplayName is null ? current.DisplayName : DisplayName(request.DisplayName, username),
            Roles = request.Roles?.Distinct().ToArray() ?? current.Roles,
            Disabled = request.Disabled ?? current.Disabled,
            UpdatedAt = time.GetUtcNow(),
        };
        if (IsSelf(http, username) && (updated.Disabled || !updated.Roles.Contains(StaffRoles.Admin)))
        {
            return Problems.Create(403, Problems.StaffSelfChange, "You may not lock yourself out.", "Another admin must disable you or take your admin role.");
        }

        await store.UpdateAsync(updated, request.Password is null ? null : await hashing.RunAsync(() => StaffPasswords.Hash(request.Password), ct), ct);
        if (request.Password is not null)
        {
            // An admin setting a new password is also how a locked-out colleague gets back in before the lock ends.
            await throttle.RecordSuccessAsync(username);
        }

        var changes = new List<string>();
        if (updated.DisplayName != current.DisplayName) { changes.Add("displayName"); }
        if (!updated.Roles.SequenceEqual(current.Roles)) { changes.Add($"roles {string.Join(",", current.Roles)} → {string.Join(",", updated.Roles)}"); }
        if (updated.Disabled != current.Disabled) { changes.Add(updated.Disabled ? "disabled" : "enabled"); }
        if (request.Password is not null) { changes.Add("password changed"); }
        await audit.WriteAsync(http.User.Actor(), "staff.users.update", username, changes.Count == 0 ? "no change" : string.Join("; ", changes), ct);
        return TypedResults.Ok(StaffUserView.Of(updated));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteUserAsync(string username, StaffUsers store, AuditLog audit, HttpContext http,
        CancellationToken ct)
    {
        username = Normalize(username) ?? "";
        if (IsSelf(http, username))
        {
            return Problems.Create(403, Problems.StaffSelfChange, "You may not delete yourself.", "Another admin must do it.");
        }

        if (!await store.DeleteAsync(username, ct))
        {
            return Problems.NotFoundProblem(Problems.StaffUserNotFound, $"No staff user {username}.");
        }

        await audit.WriteAsync(http.User.Actor(), "staff.users.delete", username, null, ct);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult? ValidateCommon(StaffUserRequest request, string username, StaffOptions options, bool passwordRequired)
    {
        if (request.DisplayName is { Length: > 100 })
        {
            return Problems.BadRequest(Problems.StaffUserInvalid, "displayName is at most 100 characters.");
        }

        if (request.Roles is not { Length: > 0 } roles || roles.Any(r => !StaffRoles.All.Contains(r)))
        {
            return Problems.BadRequest(Problems.StaffUserInvalid, $"roles is a non-empty list of: {string.Join(", ", StaffRoles.All)}.");
        }

        // The rule travels with the error (rule, minLength, maxLength), so the dashboard can say it in the staff member's language.
        Dictionary<string, object?> Rule(string rule) => new() { ["rule"] = rule, ["minLength"] = options.MinPasswordLength, ["maxLength"] = 1024 };
        if (request.Password is null)
        {
            return passwordRequired ? Problems.BadRequest(Problems.StaffPasswordWeak, "password is required.", Rule("required")) : null;
        }

        if (request.Password.Length < options.MinPasswordLength || request.Password.Length > 1024)
        {
            return Problems.BadRequest(Problems.StaffPasswordWeak, $"password is {options.MinPasswordLength}–1024 characters.", Rule("length"));
        }

        return string.Equals(request.Password, username, StringComparison.OrdinalIgnoreCase)
            ? Problems.BadRequest(Problems.StaffPasswordWeak, "password must not be the username.", Rule("not_username"))
            : null;
    }

    private static bool IsSelf(HttpContext http, string username) =>
        http.User.FindFirstValue(ClaimTypes.NameIdentifier) == StaffSessionAuthentication.Actor(username);

    private static string DisplayName(string? requested, string username) => string.IsNullOrWhiteSpace(requested) ? username : requested.Trim();

    private static string? Normalize(string? username) =>
        string.IsNullOrWhiteSpace(username) || username.Length > 64 ? null : username.Trim().ToLowerInvariant();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UsernamePattern();
}
