using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.IntegrationTests.Features.Staff;

public sealed class StaffSignInTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new(settings: new() { ["Staff:MaxFailures"] = "3" });

    public Task InitializeAsync() => _hub.WaitReadyAsync();

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    private static HttpClient WithCookie(HubFactory hub, string cookieHeader)
    {
        var client = hub.CreateDefaultClient();
        client.DefaultRequestHeaders.Add("Cookie", cookieHeader);
        return client;
    }

    [Fact]
    public async Task SignIn_RightPassword_ReturnsRolesCsrfTokenAndAStrictHttpOnlyCookie()
    {
        var username = await _hub.CreateStaffUserAsync(["issuer"], "sato");
        var (client, _) = _hub.CookieClient();
        using var _c = client;
        var response = await client.PostAsJsonAsync("/api/staff/session", new { username = "Sato", password = StaffSessions.DefaultPassword });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(username, body["username"]!.GetValue<string>());
        Assert.Equal(["issuer"], body["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.True(body["csrfToken"]!.GetValue<string>().Length >= 32);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("alerthub.staff=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);

        var again = await (await client.GetAsync("/api/staff/session")).JsonAsync();
        Assert.Equal(body["csrfToken"]!.GetValue<string>(), again["csrfToken"]!.GetValue<string>());

        using var admin = _hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "staff.signin" && e["target"]!.GetValue<string>() == "sato");
    }

    [Fact]
    public async Task SignIn_WrongPasswordAndUnknownUser_GetTheSameProblem_AndAreAudited()
    {
        await _hub.CreateStaffUserAsync(["viewer"], "tanaka");
        using var client = _hub.CreateClient();
        var wrong = await (await client.PostAsJsonAsync("/api/staff/session", new { username = "tanaka", password = "not the password" }))
            .AssertProblemAsync(401, "auth.invalid_credentials");
        var unknown = await (await client.PostAsJsonAsync("/api/staff/session", new { username = "nobody-here", password = "not the password" }))
            .AssertProblemAsync(401, "auth.invalid_credentials");
        Assert.Equal(wrong["title"]!.GetValue<string>(), unknown["title"]!.GetValue<string>());
        Assert.Equal(wrong["detail"]?.ToJsonString(), unknown["detail"]?.ToJsonString());

        using var admin = _hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "staff.signin.failure" && e["target"]!.GetValue<string>() == "tanaka");
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "staff.signin.failure" && e["target"]!.GetValue<string>() == "nobody-here");
    }

    [Fact]
    public async Task SignIn_RepeatedFailures_LockTheUsername_WithRetryAfter_EvenForTheRightPassword_AndUnknownNamesLockAlike()
    {
        await _hub.CreateStaffUserAsync(["viewer"], "suzuki");
        using var client = _hub.CreateClient();
        foreach (var name in new[] { "suzuki", "ghost-user" })
        {
            for (var i = 1; i <= 2; i++)
            {
                await (await client.PostAsJsonAsync("/api/staff/session", new { username = name, password = "wrong-" + i }))
                    .AssertProblemAsync(401, "auth.invalid_credentials");
            }

            var locking = await client.PostAsJsonAsync("/api/staff/session", new { username = name, password = "wrong-3" });
            Assert.True(locking.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"{name}: no Retry-After");
            await locking.AssertProblemAsync(429, "auth.locked_out");

            var right = await client.PostAsJsonAsync("/api/staff/session", new { username = name, password = StaffSessions.DefaultPassword });
            Assert.True(right.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 and <= 900 }, $"{name}: Retry-After {right.Headers.RetryAfter}");
            await right.AssertProblemAsync(429, "auth.locked_out");
            Assert.False(right.Headers.Contains("Set-Cookie"));
        }

        using var admin = _hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "staff.signin.lockout" && e["target"]!.GetValue<string>() == "suzuki");

        // An admin setting a new password lifts the lock.
        using (var keyAdmin = _hub.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await keyAdmin.PutAsJsonAsync("/api/staff/users/suzuki", new { password = "reset by the admin 2026" })).StatusCode);
        }

        using (await _hub.SignInAsync("suzuki", "reset by the admin 2026"))
        {
        }

        // Another user is not affected by the lock.
        var other = await _hub.CreateStaffUserAsync(["viewer"]);
        using var session = await _hub.SignInAsync(other, StaffSessions.DefaultPassword);
    }

    [Fact]
    public async Task Cookie_WorksOnAViewerEndpoint_AndIsRefusedOnAnAdminEndpoint_WithoutRedirect()
    {
        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        Assert.Equal(HttpStatusCode.OK, (await viewer.Client.GetAsync("/api/alerts")).StatusCode);
        var keys = await viewer.Client.GetAsync("/api/keys");
        Assert.Null(keys.Headers.Location);
        await keys.AssertProblemAsync(403, "auth.forbidden");

        using var anonymous = _hub.CreateDefaultClient();
        var noCookie = await anonymous.GetAsync("/api/alerts");
        await noCookie.AssertProblemAsync(401, "auth.missing_key");
        using var badCookie = WithCookie(_hub, "alerthub.staff=forged-value");
        await (await badCookie.GetAsync("/api/alerts")).AssertProblemAsync(401, "auth.session_invalid");
    }

    [Fact]
    public async Task Csrf_MissingOrWrong_Returns403_RightToken_Succeeds()
    {
        using var admin = await _hub.SignInAsStaffAsync("admin");
        var body = new { username = "csrf-made", displayName = "x", roles = new[] { "viewer" }, password = StaffSessions.DefaultPassword };
        using var noHeader = WithCookie(_hub, admin.CookieHeader());
        await (await noHeader.PostAsJsonAsync("/api/staff/users", body)).AssertProblemAsync(403, "auth.csrf_invalid");
        using var wrongHeader = WithCookie(_hub, admin.CookieHeader());
        wrongHeader.DefaultRequestHeaders.Add("X-CSRF-Token", admin.CsrfToken[..^2] + "xx");
        await (await wrongHeader.PostAsJsonAsync("/api/staff/users", body)).AssertProblemAsync(403, "auth.csrf_invalid");

        using var keyAdmin = _hub.Admin();
        var users = (await (await keyAdmin.GetAsync("/api/staff/users")).JsonAsync()).AsArray();
        Assert.DoesNotContain(users, u => u!["username"]!.GetValue<string>() == "csrf-made");

        // GET needs no token; the right token lets the change through.
        Assert.Equal(HttpStatusCode.OK, (await noHeader.GetAsync("/api/staff/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.Client.PostAsJsonAsync("/api/staff/users", body)).StatusCode);

        // An endpoint that checks the admin role by hand (an admin may delete a resident) sees no admin without the token.
        var resident = await Api.RegisterAsync(noHeader, 39.31, 140.55);
        await (await noHeader.DeleteAsync($"/api/residents/{resident.Id}")).AssertProblemAsync(401, "auth.invalid_resident_token");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Client.DeleteAsync($"/api/residents/{resident.Id}")).StatusCode);

        // A missing token does not end the session.
        Assert.Equal(HttpStatusCode.OK, (await noHeader.GetAsync("/api/staff/session")).StatusCode);
    }

    [Fact]
    public async Task ApiKey_WinsOverACookie_AndNeedsNoCsrfToken()
    {
        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        using var client = WithCookie(_hub, viewer.CookieHeader());
        client.DefaultRequestHeaders.Add("X-Api-Key", HubFactory.AdminKey);
        var created = await client.PostAsJsonAsync("/api/keys", new { name = "made with key", role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task SignOut_EndsTheSession_EvenForACopiedCookie()
    {
        using var issuer = await _hub.SignInAsStaffAsync("issuer");
        var copied = issuer.CookieHeader();
        Assert.Equal(HttpStatusCode.NoContent, (await issuer.Client.DeleteAsync("/api/staff/session")).StatusCode);
        await (await issuer.Client.GetAsync("/api/staff/session")).AssertProblemAsync(401, "auth.session_invalid");
        using var replay = WithCookie(_hub, copied);
        await (await replay.GetAsync("/api/alerts")).AssertProblemAsync(401, "auth.session_invalid");

        using var admin = _hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "staff.signout" && e["target"]!.GetValue<string>() == issuer.Username);
    }

    [Fact]
    public async Task SignalR_CookieSession_JoinsTheStaffGroup_AndReceivesAlertIssued()
    {
        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        var issuedIds = new List<string>();
        await using var connection = _hub.SignalRWithCookie(viewer);
        connection.On<JsonObject>("alertIssued", e => { lock (issuedIds) { issuedIds.Add(e["id"]!.GetValue<string>()); } });
        await connection.StartListeningAsync();

        using var admin = _hub.Admin();
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 500 } } }));
        var id = issued["id"]!.GetValue<string>();
        for (var i = 0; i < 100 && !Contains(issuedIds, id); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(Contains(issuedIds, id), "the cookie-authenticated connection did not receive alertIssued");

        static bool Contains(List<string> ids, string id)
        {
            lock (ids)
            {
                return ids.Contains(id);
            }
        }
    }

    [Fact]
    public async Task Users_DisabledOrRePassworded_LoseTheirSessions_AndAdminsCannotLockThemselvesOut()
    {
        using var admin = await _hub.SignInAsStaffAsync("admin");
        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        var put = await admin.Client.PutAsJsonAsync($"/api/staff/users/{viewer.Username}", new { password = "a brand new passphrase" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await (await viewer.Client.GetAsync("/api/alerts")).AssertProblemAsync(401, "auth.session_invalid");
        using (await _hub.SignInAsync(viewer.Username, "a brand new passphrase"))
        {
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.Client.PutAsJsonAsync($"/api/staff/users/{viewer.Username}", new { disabled = true })).StatusCode);
        using var client = _hub.CreateClient();
        await (await client.PostAsJsonAsync("/api/staff/session", new { username = viewer.Username, password = "a brand new passphrase" }))
            .AssertProblemAsync(401, "auth.invalid_credentials");

        // Roles are read per request: a promotion works without signing in again.
        using var issuer = await _hub.SignInAsStaffAsync("viewer");
        await (await issuer.Client.GetAsync("/api/keys")).AssertProblemAsync(403, "auth.forbidden");
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.PutAsJsonAsync($"/api/staff/users/{issuer.Username}", new { roles = new[] { "admin" } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await issuer.Client.GetAsync("/api/keys")).StatusCode);

        await (await admin.Client.PutAsJsonAsync($"/api/staff/users/{admin.Username}", new { roles = new[] { "viewer" } }))
            .AssertProblemAsync(403, "staff.self_change_forbidden");
        await (await admin.Client.DeleteAsync($"/api/staff/users/{admin.Username}")).AssertProblemAsync(403, "staff.self_change_forbidden");
        await (await admin.Client.PostAsJsonAsync("/api/staff/users", new { username = "short-pw", roles = new[] { "viewer" }, password = "short" }))
            .AssertProblemAsync(400, "staff.password_weak");
        await (await admin.Client.PostAsJsonAsync("/api/staff/users", new { username = viewer.Username, roles = new[] { "viewer" }, password = StaffSessions.DefaultPassword }))
            .AssertProblemAsync(409, "staff.user_exists");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Client.DeleteAsync($"/api/staff/users/{viewer.Username}")).StatusCode);

        using var keyAdmin = _hub.Admin();
        var audit = (await (await keyAdmin.GetAsync("/api/audit")).JsonAsync()).AsArray().Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Contains("staff.users.create", audit);
        Assert.Contains("staff.users.update", audit);
        Assert.Contains("staff.users.delete", audit);
        var users = (await (await keyAdmin.GetAsync("/api/staff/users")).JsonAsync()).AsArray();
        Assert.All(users, u => Assert.Null(u!["password"]));
    }
}

public sealed class StaffSessionLifetimeTests
{
    [Fact]
    public async Task Session_EndsAfterIdleTimeout_AndAfterMaxLifetimeEvenWhenActive()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var hub = new HubFactory(
            settings: new() { ["Staff:SessionIdleTimeout"] = "00:30:00", ["Staff:SessionMaxLifetime"] = "01:00:00" },
            services: s => s.AddSingleton<TimeProvider>(clock));
        await hub.WaitReadyAsync();

        using var idle = await hub.SignInAsStaffAsync("viewer");
        clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(HttpStatusCode.OK, (await idle.Client.GetAsync("/api/alerts")).StatusCode);
        clock.Advance(TimeSpan.FromMinutes(31));
        await (await idle.Client.GetAsync("/api/alerts")).AssertProblemAsync(401, "auth.session_invalid");

        using var busy = await hub.SignInAsync(idle.Username, idle.Password);
        for (var minutes = 20; minutes < 60; minutes += 20)
        {
            clock.Advance(TimeSpan.FromMinutes(20));
            Assert.Equal(HttpStatusCode.OK, (await busy.Client.GetAsync("/api/alerts")).StatusCode);
        }

        clock.Advance(TimeSpan.FromMinutes(21));
        await (await busy.Client.GetAsync("/api/alerts")).AssertProblemAsync(401, "auth.session_invalid");
    }
}

public sealed class StaffBootstrapTests
{
    [Fact]
    public async Task FirstStart_WithoutConfiguredPassword_WritesAnOwnerOnlyPasswordFile_ThatSignsInAsAdmin()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        var path = Path.Combine(hub.DataDirectory, "bootstrap-admin.password");
        for (var i = 0; i < 100 && !File.Exists(path); i++)
        {
            await Task.Delay(50);
        }

        var password = (await File.ReadAllTextAsync(path)).Trim();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using var admin = await hub.SignInAsync("admin", password);
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.GetAsync("/api/keys")).StatusCode);
    }

    [Fact]
    public async Task FirstStart_WithConfiguredPassword_CreatesAdminWithIt_AndWritesNoFile()
    {
        using var hub = new HubFactory(settings: new() { ["Auth:BootstrapAdminPassword"] = "configured admin passphrase" });
        await hub.WaitReadyAsync();
        using var admin = await hub.SignInAsync("admin", "configured admin passphrase");
        var me = await (await admin.Client.GetAsync("/api/staff/session")).JsonAsync();
        Assert.Equal(["admin"], me["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.False(File.Exists(Path.Combine(hub.DataDirectory, "bootstrap-admin.password")));
    }
}
