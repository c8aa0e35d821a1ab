using System.Net;
using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Http;

/// <summary>
/// The test server has no socket, so a startup filter (first in the pipeline, before the hub's own middleware)
/// plays the TCP peer: the connection's remote address is what the test puts in <c>X-Test-Peer</c>.
/// </summary>
internal sealed class TestPeerStartupFilter : IStartupFilter
{
    public const string Header = "X-Test-Peer";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.TryGetValue(Header, out var peer))
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                context.Request.Headers.Remove(Header);
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}

public sealed class ForwardedHeadersTests
{
    private static HubFactory Hub(Dictionary<string, string?> settings)
    {
        settings["Residents:RegistrationsPerMinutePerClient"] = "2";
        return new HubFactory(settings: settings, services: s => s.AddSingleton<IStartupFilter, TestPeerStartupFilter>());
    }

    private static async Task<HttpStatusCode> RegisterAsync(HubFactory hub, string peer, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/residents")
        {
            Content = JsonContent.Create(new { places = new[] { new { lat = 39.31, lon = 140.55 } }, endpoints = new[] { new { channel = "signalr" } } }),
        };
        request.Headers.Add(TestPeerStartupFilter.Header, peer);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        using var client = hub.CreateClient();
        var response = await client.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            await response.AssertProblemAsync(429, "residents.rate_limited");
        }

        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> SignInAsync(HubFactory hub, string username, string peer, string proto, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/staff/session")
        {
            Content = JsonContent.Create(new { username, password = StaffSessions.DefaultPassword }),
        };
        request.Headers.Add(TestPeerStartupFilter.Header, peer);
        request.Headers.Add("X-Forwarded-Proto", proto);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var client = hub.CreateClient();
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    private static string StaffCookie(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("alerthub.staff=", StringComparison.Ordinal));

    private static bool IsSecure(string setCookie) =>
        setCookie.Split(';').Any(part => part.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task FromATrustedProxy_LimitsCountTheForwardedClient_ByIPv6Slash64_AndCookiesAreSecure()
    {
        using var hub = Hub(new() { ["Http:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });
        await hub.WaitReadyAsync();

        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "203.0.113.10"));
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "203.0.113.10"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await RegisterAsync(hub, "127.0.0.1", "203.0.113.10"));
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "203.0.113.11"));

        // One household's /64 is one client however many addresses it uses; the next /64 is another.
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "2001:db8:1:2::1"));
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "2001:db8:1:2:aaaa::2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await RegisterAsync(hub, "127.0.0.1", "2001:db8:1:2:ffff::3"));
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "2001:db8:1:3::1"));

        var username = await hub.CreateStaffUserAsync(["viewer"]);
        Assert.True(IsSecure(StaffCookie(await SignInAsync(hub, username, "127.0.0.1", "https", "203.0.113.20"))));

        using var admin = hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "staff.signin" && e["detail"]?.GetValue<string>() == "203.0.113.20");
    }

    [Fact]
    public async Task FromAPeerThatIsNotAKnownProxy_TheHeadersAreIgnored_EvenFromLoopback()
    {
        // The framework trusts loopback unless told otherwise; configuring a proxy must mean only that proxy.
        using var hub = Hub(new() { ["Http:ForwardedHeaders:KnownProxies:0"] = "192.0.2.1", ["Http:ForwardedHeaders:KnownNetworks:0"] = "10.20.0.0/16" });
        await hub.WaitReadyAsync();

        foreach (var peer in new[] { "127.0.0.1", "198.51.100.7" })
        {
            Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, peer, "203.0.113.1"));
            Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, peer, "203.0.113.2"));
            Assert.Equal(HttpStatusCode.TooManyRequests, await RegisterAsync(hub, peer, "203.0.113.3"));
        }

        // A proxy inside a known network is believed.
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "10.20.3.4", "203.0.113.3"));

        var username = await hub.CreateStaffUserAsync(["viewer"]);
        Assert.False(IsSecure(StaffCookie(await SignInAsync(hub, username, "198.51.100.7", "https", "203.0.113.20"))));
    }

    [Fact]
    public async Task NotConfigured_ForwardedHeadersAreIgnored()
    {
        using var hub = Hub([]);
        await hub.WaitReadyAsync();
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "203.0.113.1"));
        Assert.Equal(HttpStatusCode.Created, await RegisterAsync(hub, "127.0.0.1", "203.0.113.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await RegisterAsync(hub, "127.0.0.1", "203.0.113.3"));
        var username = await hub.CreateStaffUserAsync(["viewer"]);
        Assert.False(IsSecure(StaffCookie(await SignInAsync(hub, username, "127.0.0.1", "https", "203.0.113.20"))));
    }

    [Fact]
    public void Settings_AnAddressThatDoesNotParse_FailsAtStart()
    {
        var bad = new ForwardedHeadersSettings { KnownProxies = ["nginx"] };
        Assert.Contains("nginx", Assert.Throws<InvalidOperationException>(bad.ToOptions).Message, StringComparison.Ordinal);
        var badNetwork = new ForwardedHeadersSettings { KnownNetworks = ["10.0.0.0/33"] };
        Assert.Throws<InvalidOperationException>(badNetwork.ToOptions);
    }
}
