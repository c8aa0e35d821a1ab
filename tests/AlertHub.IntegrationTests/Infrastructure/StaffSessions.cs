using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>A signed-in staff member: <see cref="Client"/> carries the session cookie and sends the CSRF header.</summary>
public sealed record StaffSession(string Username, string Password, string CsrfToken, HttpClient Client, CookieJarHandler Jar) : IDisposable
{
    public const string CookieName = "alerthub.staff";

    /// <summary>The <c>Cookie</c> header value a browser would send to the hub now.</summary>
    public string CookieHeader() => Jar.Container.GetCookieHeader(Client.BaseAddress!);

    public void Dispose() => Client.Dispose();
}

/// <summary>Staff users and browser-style sessions (real cookie, real CSRF token) for integration tests.</summary>
public static class StaffSessions
{
    public const string DefaultPassword = "correct horse battery staple";

    /// <summary>Creates a staff user through the admin API (with the test admin key).</summary>
    public static async Task<string> CreateStaffUserAsync(this HubFactory hub, string[] roles, string? username = null, string password = DefaultPassword)
    {
        username ??= $"{roles[0]}-{Guid.NewGuid():N}"[..24];
        using var admin = hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/staff/users", new { username, displayName = username, roles, password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return username;
    }

    /// <summary>Creates a user with the given roles and signs in; the returned client keeps the cookie and sends X-CSRF-Token.</summary>
    public static async Task<StaffSession> SignInAsStaffAsync(this HubFactory hub, params string[] roles)
    {
        var username = await hub.CreateStaffUserAsync(roles);
        return await hub.SignInAsync(username, DefaultPassword);
    }

    /// <summary>Signs an existing user in with a fresh cookie-keeping client.</summary>
    public static async Task<StaffSession> SignInAsync(this HubFactory hub, string username, string password)
    {
        var (client, jar) = hub.CookieClient();
        var response = await client.PostAsJsonAsync("/api/staff/session", new { username, password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var csrf = (await response.JsonAsync())["csrfToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", csrf);
        return new StaffSession(username, password, csrf, client, jar);
    }

    /// <summary>A client with its own cookie jar and no credentials yet.</summary>
    public static (HttpClient Client, CookieJarHandler Jar) CookieClient(this HubFactory hub)
    {
        var jar = new CookieJarHandler();
        return (hub.CreateDefaultClient(jar), jar);
    }

    /// <summary>A SignalR connection to the staff hub authenticated only by the session cookie (as a browser does).</summary>
    public static HubConnection SignalRWithCookie(this HubFactory hub, StaffSession session)
    {
        var cookie = session.CookieHeader();
        return new HubConnectionBuilder()
            .WithUrl(new Uri(hub.Server.BaseAddress, "/hubs/staff"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => hub.Server.CreateHandler();
                o.Headers["Cookie"] = cookie;
            })
            .Build();
    }
}

/// <summary>A browser's cookie jar in front of the test server: stores Set-Cookie, sends Cookie, and can be read.</summary>
public sealed class CookieJarHandler : DelegatingHandler
{
    public System.Net.CookieContainer Container { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var header = Container.GetCookieHeader(request.RequestUri!);
        if (header.Length > 0)
        {
            request.Headers.Remove("Cookie");
            request.Headers.Add("Cookie", header);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var setCookie in setCookies)
            {
                Container.SetCookies(request.RequestUri!, setCookie);
            }
        }

        return response;
    }
}
