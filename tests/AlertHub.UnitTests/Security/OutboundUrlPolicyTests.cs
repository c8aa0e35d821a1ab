using System.Net;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Security;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Security;

public sealed class OutboundUrlPolicyTests
{
    private static OutboundUrlPolicy Policy(string environment, OutboundUrlOptions? options = null) =>
        new(Options.Create(options ?? new OutboundUrlOptions()), new TestHostEnvironment(environment));

    [Theory]
    [InlineData("https://hooks.example.jp/alert", true)]
    [InlineData("http://hooks.example.jp/alert", false)]
    [InlineData("https://127.0.0.1/hook", false)]
    [InlineData("https://localhost/hook", false)]
    [InlineData("https://10.1.2.3/hook", false)]
    [InlineData("https://172.20.0.1/hook", false)]
    [InlineData("https://192.168.1.10/hook", false)]
    [InlineData("https://169.254.169.254/latest/meta-data", false)]
    [InlineData("https://[::1]/hook", false)]
    [InlineData("https://[fd00::1]/hook", false)]
    [InlineData("https://user:pass@hooks.example.jp/", false)]
    [InlineData("ftp://hooks.example.jp/", false)]
    [InlineData("not a url", false)]
    public void Production_AllowsOnlyPublicHttps(string url, bool allowed) =>
        Assert.Equal(allowed, Policy("Production").IsAllowed(url, out _));

    [Theory]
    [InlineData("http://127.0.0.1:5000/hook", true)]
    [InlineData("http://localhost:5000/hook", true)]
    [InlineData("http://10.0.0.5/hook", false)]
    public void Development_AllowsLoopbackButNotPrivateRanges(string url, bool allowed) =>
        Assert.Equal(allowed, Policy("Development").IsAllowed(url, out _));

    [Fact]
    public void AllowedHosts_RestrictToListedHostsAndSubdomains()
    {
        var policy = Policy("Production", new OutboundUrlOptions { AllowedHosts = ["*.city.yokote.lg.jp", "partner.example.jp"] });
        Assert.True(policy.IsAllowed("https://bosai.city.yokote.lg.jp/hook", out _));
        Assert.True(policy.IsAllowed("https://partner.example.jp/hook", out _));
        Assert.False(policy.IsAllowed("https://evil.example.jp/hook", out var reason));
        Assert.Contains("allowlist", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void IsAddressAllowed_MappedIPv4Loopback_TreatedAsLoopback() =>
        Assert.False(Policy("Production").IsAddressAllowed(IPAddress.Parse("::ffff:127.0.0.1"), out _));

    [Fact]
    public async Task ConnectAsync_NameResolvingToLoopbackInProduction_IsRefusedBeforeConnecting()
    {
        // Registration checks the URL text; this is the second gate, after DNS, that stops rebinding tricks.
        var policy = Policy("Production", new OutboundUrlOptions { AllowHttp = true });
        using var client = new HttpClient(OutboundHttp.CreateHandler(policy));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://localhost:9/")));
        Assert.Contains("refused by policy", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://cams.example.jp/x", false)]
    [InlineData("https://a.cams.example.jp/x", true)]
    [InlineData("https://partner.example.jp:8443/x", false)]
    [InlineData("https://partner.example.jp/x", true)]
    [InlineData("https://203.0.114.7/x", false)]
    [InlineData("https://203.0.114.8/x", true)]
    [InlineData("http://127.0.0.1:5555/x", false)]
    [InlineData("http://127.0.0.1:5556/x", true)]
    [InlineData("http://[::1]:5555/x", true)]
    [InlineData("https://[2400:cb00:1::9]/x", false)]
    [InlineData("https://[2400:cb00:2::9]/x", true)]
    public void DeniedHosts_NamesNetworksAndPorts_RefusedWhereTheRestWouldAllow(string url, bool allowed)
    {
        var policy = Policy("Development", new OutboundUrlOptions
        {
            DeniedHosts = ["cams.example.jp", "partner.example.jp:8443", "203.0.114.6/31", "127.0.0.1:5555", "[2400:cb00:1::]/48"],
        });
        Assert.Equal(allowed, policy.IsAllowed(url, out var reason));
        if (!allowed)
        {
            Assert.Contains("DeniedHosts", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ConnectAsync_NameResolvingToADeniedEndpoint_IsRefusedAndNothingConnects()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var policy = Policy("Development", new OutboundUrlOptions { DeniedHosts = [$"127.0.0.1:{port}", $"[::1]:{port}"] });
        Assert.True(policy.IsAllowed($"http://localhost:{port}/", out _), "the name itself is not denied; only what it resolves to");
        using var client = new HttpClient(OutboundHttp.CreateHandler(policy));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri($"http://localhost:{port}/")));
        Assert.Contains("DeniedHosts", error.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending(), "the denied endpoint must never see a connection");
    }

    [Theory]
    [InlineData("0520300", "05203")]
    [InlineData("052035", "05203")]
    [InlineData("05203", "05203")]
    [InlineData("0520301", "0520301")]
    [InlineData("050022", "050022")]
    [InlineData("052019", "05201")]
    [InlineData("052078", "05207")]
    public void AreaCodes_NormaliseJmaJisAndMunicipalForms(string code, string key) =>
        Assert.Equal(key, AreaCodes.Normalise(code));

}
