using System.Net;
using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;

namespace AlertHub.BrowserTests.Pages;

/// <summary>How the hub serves the pages: files and their types, the security headers, page-only fallback.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardHostingTests(BrowserHub hub)
{
    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/staff/", "text/html")]
    [InlineData("/staff/compose.js", "text/javascript")]
    [InlineData("/lib/leaflet/leaflet-src.esm.js", "text/javascript")]
    [InlineData("/lib/hls/hls.min.mjs", "text/javascript")]
    [InlineData("/lib/signalr/signalr.min.js", "text/javascript")]
    [InlineData("/lib/leaflet/leaflet.css", "text/css")]
    [InlineData("/sw.js", "text/javascript")]
    public async Task Pages_AndTheNpmLibrariesTheBuildCopied_AreServedWithTheirTypes(string path, string mediaType)
    {
        using var client = hub.Anonymous();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Pages_CarryAStrictContentSecurityPolicy_WithNoTileHostWhenTilesAreOff()
    {
        using var client = hub.Anonymous();
        using var response = await client.GetAsync("/staff/");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("cyberjapandata", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public void ContentSecurityPolicy_WithTheDefaultTiles_AllowsImagesFromTheTileHostOnly()
    {
        var csp = AlertHub.Server.Features.Dashboard.DashboardSetup.ContentSecurityPolicy(new AlertHub.Server.Features.Dashboard.DashboardOptions().TileUrl);
        Assert.Contains("img-src 'self' data: blob: https://cyberjapandata.gsi.go.jp;", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/staff/compose")]
    [InlineData("/staff/board/abc")]
    public async Task StaffPageRoutes_FallBackToTheDashboard(string path)
    {
        using var client = hub.Anonymous();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("/staff/app.js", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/no-such-thing")]
    [InlineData("/staff/missing.js")]
    public async Task UnknownApiPathsAndFiles_StayNotFound(string path)
    {
        using var client = hub.Anonymous();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Config_IsPublic_AndCarriesTheConfiguredTilesAndHouseholdVocabulary()
    {
        using var client = hub.Anonymous();
        var config = JsonNode.Parse(await client.GetStringAsync("/api/dashboard/config"))!;
        Assert.Equal("", config["tileUrl"]!.GetValue<string>());
        Assert.Contains(config["householdTags"]!.AsArray(), t => t!.GetValue<string>() == "elderly");
        Assert.False(config["webPush"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Places_ListsDistrictNamesWithAPointInside_ForAnonymousResidents()
    {
        var name = $"公開地区{Guid.NewGuid():N}"[..10];
        await hub.AddAreaAsync(name, "district", 39.25, 140.40, 0.01);
        await hub.AddAreaAsync(name + "浸水", "flood", 39.25, 140.40, 0.01);
        using var client = hub.Anonymous();
        var places = JsonNode.Parse(await client.GetStringAsync("/api/dashboard/places"))!.AsArray();
        var place = Assert.Single(places, p => p!["name"]!.GetValue<string>().StartsWith(name, StringComparison.Ordinal));
        Assert.Equal("district", place!["kind"]!.GetValue<string>());
        Assert.InRange(place["lat"]!.GetValue<double>(), 39.24, 39.26);
        Assert.InRange(place["lon"]!.GetValue<double>(), 140.39, 140.41);
        Assert.Null(place["geometry"]);
    }
}
