using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features;

public sealed class AreasAndTargetingTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task PostArea_FeatureCollection_StoresEachFeatureWithKindAndCode()
    {
        using var admin = _hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/areas?kind=district", new
        {
            type = "FeatureCollection",
            features = new object[]
            {
                new { type = "Feature", properties = new { name = "横手", code = "0520300" }, geometry = Api.Square(39.3, 140.55, 0.05) },
                new { type = "Feature", properties = new { name = "浸水想定", kind = "flood" }, geometry = Api.Square(39.31, 140.56, 0.01) },
            },
        });
        Assert.Equal(201, (int)response.StatusCode);
        var areas = (await (await admin.GetAsync("/api/areas")).JsonAsync()).AsArray();
        Assert.Equal(2, areas.Count);
        Assert.Contains(areas, a => a!["name"]!.GetValue<string>() == "横手" && a["kind"]!.GetValue<string>() == "district" && a["code"]!.GetValue<string>() == "0520300");
        Assert.Contains(areas, a => a!["name"]!.GetValue<string>() == "浸水想定" && a["kind"]!.GetValue<string>() == "flood");
        Assert.Equal("Polygon", areas[0]!["geometry"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"type":"Feature","properties":{"name":"bow"},"geometry":{"type":"Polygon","coordinates":[[[140.0,39.0],[140.1,39.1],[140.1,39.0],[140.0,39.1],[140.0,39.0]]]}}""", "targeting.polygon_invalid")]
    [InlineData("""{"type":"Feature","properties":{"name":"open"},"geometry":{"type":"Polygon","coordinates":[[[140.0,39.0],[140.1,39.0],[140.1,39.1],[140.0,39.1]]]}}""", "targeting.polygon_invalid")]
    [InlineData("""{"type":"Feature","properties":{"name":"far"},"geometry":{"type":"Polygon","coordinates":[[[140.0,39.0],[200.1,39.0],[140.1,39.1],[140.0,39.0]]]}}""", "targeting.coordinates_out_of_range")]
    [InlineData("""{"type":"Feature","properties":{"name":"pt"},"geometry":{"type":"Point","coordinates":[140.0,39.0]}}""", "targeting.geometry_unsupported")]
    [InlineData("""{"type":"Feature","properties":{"name":"bad"},"geometry":{"type":"Polygon","coordinates":"nope"}}""", "geojson.malformed")]
    [InlineData("""{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[140.0,39.0],[140.1,39.0],[140.1,39.1],[140.0,39.0]]]}}""", "areas.invalid")]
    [InlineData("""{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[140.0,39.0],[140.1,39.0]""", "request.malformed_json")]
    public async Task PostArea_Invalid_Returns400WithCodeAndKeepsExistingAreas(string body, string code)
    {
        using var admin = _hub.Admin();
        await Api.AddAreaAsync(admin, "既存", Api.Square(39.3, 140.5, 0.01));
        var problem = await (await admin.PostAsync("/api/areas", HttpJson.Raw(body, "application/geo+json"))).AssertProblemAsync(400, code);
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()));
        var areas = (await (await admin.GetAsync("/api/areas")).JsonAsync()).AsArray();
        Assert.Single(areas);
    }

    [Fact]
    public async Task PostArea_SelfIntersection_NamesTheOffendingFeature()
    {
        using var admin = _hub.Admin();
        var good = Api.Square(39.3, 140.5, 0.01);
        var bow = new { type = "Polygon", coordinates = new[] { new[] { new[] { 140.0, 39.0 }, new[] { 140.1, 39.1 }, new[] { 140.1, 39.0 }, new[] { 140.0, 39.1 }, new[] { 140.0, 39.0 } } } };
        var response = await admin.PostAsJsonAsync("/api/areas", new
        {
            type = "FeatureCollection",
            features = new object[]
            {
                new { type = "Feature", properties = new { name = "ok" }, geometry = good },
                new { type = "Feature", properties = new { name = "bow" }, geometry = bow },
            },
        });
        var problem = await response.AssertProblemAsync(400, "targeting.polygon_invalid");
        Assert.Contains("features[1]", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await (await admin.GetAsync("/api/areas")).JsonAsync()).AsArray());
    }

    [Fact]
    public async Task Preview_AreaAudienceAndChannels_CountsEachResidentOnce()
    {
        using var admin = _hub.Admin();
        using var client = _hub.CreateClient();
        var zone = await Api.AddAreaAsync(admin, "浸水想定区域A", Api.Square(39.30, 140.55, 0.01));
        var other = await Api.AddAreaAsync(admin, "浸水想定区域B", Api.Square(39.305, 140.555, 0.01));
        await Api.RegisterAsync(client, 39.305, 140.555, ["elderly"]);                       // in both
        await Api.RegisterAsync(client, 39.30, 140.55, ["children"], [new { channel = "webhook", address = "http://127.0.0.1:9/h", secret = "0123456789abcdef" }]);
        await Api.RegisterAsync(client, 39.30, 140.55 + 0.01, ["elderly", "care-needed"], [new { channel = "signalr" }, new { channel = "webhook", address = "http://127.0.0.1:9/h", secret = "0123456789abcdef" }]);
        await Api.RegisterAsync(client, 39.30 - 0.01, 140.55, []);                           // no tags, on the boundary of A
        await Api.RegisterAsync(client, 39.40, 140.55, ["elderly"]);                          // outside both

        var all = await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { areaIds = new[] { zone, other } } })).JsonAsync();
        Assert.Equal(4, all["recipients"]!.GetValue<int>());
        Assert.Equal(3, all["byChannel"]!["signalr"]!.GetValue<int>());
        Assert.Equal(2, all["byChannel"]!["webhook"]!.GetValue<int>());
        Assert.Equal(4, all["byArea"]![zone]!["recipients"]!.GetValue<int>());
        Assert.Equal("浸水想定区域B", all["byArea"]![other]!["name"]!.GetValue<string>());
        Assert.True(all["elapsedMs"]!.GetValue<double>() >= 0);

        var vulnerable = await (await admin.PostAsJsonAsync("/api/targeting/preview", new
        {
            area = new { areaIds = new[] { zone } },
            audience = new { householdTags = new { any = new[] { "elderly", "children" } } },
        })).JsonAsync();
        Assert.Equal(3, vulnerable["recipients"]!.GetValue<int>());

        var webhookOnly = await (await admin.PostAsJsonAsync("/api/targeting/preview", new
        {
            area = new { areaIds = new[] { zone } },
            channels = new[] { "webhook" },
        })).JsonAsync();
        Assert.Equal(2, webhookOnly["recipients"]!.GetValue<int>());
        Assert.Equal(2, webhookOnly["unreachable"]!.GetValue<int>());
    }

    [Fact]
    public async Task Preview_ByCode_MatchesJmaJisAndMunicipalForms()
    {
        using var admin = _hub.Admin();
        using var client = _hub.CreateClient();
        await Api.AddAreaAsync(admin, "横手市", Api.Square(39.3, 140.55, 0.1), "district", "0520300");
        await Api.RegisterAsync(client, 39.3, 140.55);
        foreach (var code in new[] { "0520300", "052035", "05203" })
        {
            var preview = await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { codes = new[] { code } } })).JsonAsync();
            Assert.Equal(1, preview["recipients"]!.GetValue<int>());
        }

        await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { codes = new[] { "0520700" } } })).AssertProblemAsync(400, "targeting.code_unknown");
    }

    [Fact]
    public async Task Preview_BadArea_ReturnsStableCodes()
    {
        using var admin = _hub.Admin();
        await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { areaIds = new[] { "nope" } } })).AssertProblemAsync(400, "targeting.area_not_found");
        await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { } })).AssertProblemAsync(400, "targeting.area_empty");
        await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { circles = new[] { new { lat = 39.3, lon = 140.5, radiusMeters = -5 } } } }))
            .AssertProblemAsync(400, "targeting.circle_invalid");
        await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = new { geometry = new { type = "Polygon", coordinates = new[] { new[] { new[] { 140.0, 39.0 } } } } } }))
            .AssertProblemAsync(400, "targeting.polygon_invalid");
    }

    [Fact]
    public async Task DemoAreas_OnFreshStore_AreLoadedAndLabelledDemo()
    {
        using var hub = new HubFactory(settings: new() { ["Areas:LoadDemoAreas"] = "true" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var areas = (await (await admin.GetAsync("/api/areas?geometry=false")).JsonAsync()).AsArray();
        Assert.True(areas.Count >= 8);
        Assert.All(areas, a => Assert.True(a!["demo"]!.GetValue<bool>()));
        Assert.Contains(areas, a => a!["kind"]!.GetValue<string>() == "district");
        Assert.Contains(areas, a => a!["kind"]!.GetValue<string>() == "flood");
        Assert.Contains(areas, a => a!["kind"]!.GetValue<string>() == "landslide");
    }
}
