using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Places;

/// <summary>
/// 町字 points imported at run time (<c>POST /api/places/towns</c>) and the public name search and nearest-town lookup
/// the resident page uses (<c>GET /api/places/search</c>, <c>/api/places/nearest</c>).
/// </summary>
public sealed class TownPointsTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    internal static object Town(string town, string koaza, double lat, double lon, string? district = null) => new
    {
        type = "Feature",
        properties = new { town, koaza, former_municipality = district },
        geometry = new { type = "Point", coordinates = new[] { lon, lat } },
    };

    internal static object Collection(params object[] features) => new { type = "FeatureCollection", features };

    private static async Task<JsonArray> SearchAsync(HttpClient client, string q, int? limit = null) =>
        (await (await client.GetAsync($"/api/places/search?q={Uri.EscapeDataString(q)}{(limit is null ? "" : $"&limit={limit}")}")).JsonAsync()).AsArray();

    [Fact]
    public async Task Import_GeoJsonTownPoints_AnyoneFindsThemByName_TheTownItselfFirst()
    {
        using var admin = _hub.Admin();
        var imported = await admin.PostAsJsonAsync("/api/places/towns?attribution=" + Uri.EscapeDataString("「Geolonia 住所データ」"), Collection(
            Town("朝倉町", "", 39.3135, 140.5583, "横手"), Town("朝倉町", "下川原", 39.3150, 140.5600, "横手"), Town("新朝倉", "", 39.30, 140.50),
            Town("旭川一丁目", "", 39.3172, 140.5650), Town("赤川", "樋掛", 39.323311, 140.529564), Town("十文字町西原一番町", "", 39.225365, 140.527084)));
        var result = await imported.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.Equal(6, result["imported"]!.GetValue<int>());
        Assert.Equal(0, result["rejected"]!.GetValue<int>());
        using var anonymous = _hub.CreateClient();

        var asakura = await SearchAsync(anonymous, "朝倉町");
        Assert.Equal(["朝倉町", "朝倉町 下川原"], asakura.Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal("town", asakura[0]!["kind"]!.GetValue<string>());
        Assert.Equal("横手", asakura[0]!["district"]!.GetValue<string>());
        Assert.Equal(39.3135, asakura[0]!["lat"]!.GetValue<double>());
        Assert.Equal(140.5583, asakura[0]!["lon"]!.GetValue<double>());
        Assert.Equal("朝倉町", (await SearchAsync(anonymous, "朝倉"))[0]!["name"]!.GetValue<string>());
        // Width, numerals written either way, 大字/字 and the city's own name do not stop a resident finding the place.
        Assert.Equal("旭川一丁目", (await SearchAsync(anonymous, "旭川１丁目"))[0]!["name"]!.GetValue<string>());
        Assert.Equal("赤川 樋掛", (await SearchAsync(anonymous, "横手市赤川字樋掛"))[0]!["name"]!.GetValue<string>());
        Assert.Equal("赤川 樋掛", (await SearchAsync(anonymous, "赤川　樋掛"))[0]!["name"]!.GetValue<string>());
        Assert.Single(await SearchAsync(anonymous, "朝倉", limit: 1));
        Assert.Empty(await SearchAsync(anonymous, "存在しない町"));

        var set = await (await admin.GetAsync("/api/places/towns")).JsonAsync();
        Assert.Equal(6, set["count"]!.GetValue<int>());
        Assert.Equal("「Geolonia 住所データ」", set["attribution"]!.GetValue<string>());
        var config = await (await anonymous.GetAsync("/api/dashboard/config")).JsonAsync();
        Assert.Equal(6, config["townPoints"]!.GetValue<int>());
        Assert.Equal("「Geolonia 住所データ」", config["townAttribution"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_ANewSet_ReplacesTheOldOne_AndSurvivesARestart()
    {
        var dataDirectory = HubFactory.NewDataDirectory();
        using (var first = new HubFactory(dataDirectory))
        {
            using var admin = first.Admin();
            (await admin.PostAsJsonAsync("/api/places/towns", Collection(Town("旧町名", "", 39.30, 140.55)))).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync("/api/places/towns", Collection(Town("新町名", "", 39.31, 140.56), Town("駅前町", "", 39.309, 140.548)))).EnsureSuccessStatusCode();
        }

        using var second = new HubFactory(dataDirectory);
        await second.WaitReadyAsync();
        using var anonymous = second.CreateClient();
        Assert.Empty(await SearchAsync(anonymous, "旧町名"));
        Assert.Equal("新町名", (await SearchAsync(anonymous, "新町名"))[0]!["name"]!.GetValue<string>());
        Assert.Equal("駅前町", (await SearchAsync(anonymous, "駅前"))[0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_TheGeoloniaArray_ReportsRecordsWithoutAPosition_AndKeepsTheRest()
    {
        using var admin = _hub.Admin();
        var response = await admin.PostAsync("/api/places/towns", HttpJson.Raw("""
            [{"town":"駅西一丁目","koaza":"","lat":null,"lng":null},
             {"town":"駅前町","koaza":"","lat":39.3094,"lng":140.5483},
             {"town":"","koaza":"","lat":39.3,"lng":140.5},
             {"town":"赤坂","koaza":"上ノ台","lat":39.302776,"lng":140.537704}]
            """));

        var result = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, result["imported"]!.GetValue<int>());
        Assert.Equal(2, result["rejected"]!.GetValue<int>());
        Assert.Equal([0, 2], result["rejections"]!.AsArray().Select(r => r!["index"]!.GetValue<int>()));
        using var anonymous = _hub.CreateClient();
        Assert.Equal("赤坂 上ノ台", (await SearchAsync(anonymous, "上ノ台"))[0]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"town":"線の町"},"geometry":{"type":"LineString","coordinates":[[140.5,39.3],[140.6,39.3]]}}]}""")]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"town":"遠い町"},"geometry":{"type":"Point","coordinates":[140.5,95]}}]}""")]
    [InlineData("""{"type":"Feature"}""")]
    public async Task Import_WithNothingReadable_IsRefused_AndTheCurrentPointsStay(string body)
    {
        using var admin = _hub.Admin();
        (await admin.PostAsJsonAsync("/api/places/towns", Collection(Town("駅前町", "", 39.3094, 140.5483)))).EnsureSuccessStatusCode();

        await (await admin.PostAsync("/api/places/towns", HttpJson.Raw(body))).AssertProblemAsync(400, "places.import_invalid");

        using var anonymous = _hub.CreateClient();
        Assert.Single(await SearchAsync(anonymous, "駅前町"));
    }

    [Fact]
    public async Task Import_ByAnyoneButAnAdmin_IsRefused()
    {
        using var anonymous = _hub.CreateClient();
        using var viewer = _hub.WithKey(await _hub.CreateKeyAsync("viewer"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/places/towns", Collection(Town("乗っ取り町", "", 39.3, 140.5)))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/places/towns", Collection(Town("乗っ取り町", "", 39.3, 140.5)))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync("/api/places/towns")).StatusCode);
        Assert.Empty(await SearchAsync(anonymous, "乗っ取り町"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("12345678901234567890123456789012345678901")]
    [InlineData("朝倉&limit=0")]
    [InlineData("朝倉&limit=21")]
    public async Task Search_WithABadQueryOrLimit_IsRefusedWithAStableCode(string q)
    {
        using var anonymous = _hub.CreateClient();

        var response = await anonymous.GetAsync("/api/places/search?q=" + q.Replace("朝倉", Uri.EscapeDataString("朝倉"), StringComparison.Ordinal));

        await response.AssertProblemAsync(400, "places.query_invalid");
    }

    [Fact]
    public async Task Search_WithoutImportedTowns_FindsTheDistricts_NeverTheStaffOnlyAreas()
    {
        using var admin = _hub.Admin();
        await Api.AddAreaAsync(admin, "増田（デモ）", Api.Square(39.20, 140.56, 0.02), "district");
        await Api.AddAreaAsync(admin, "増田川 浸水想定（デモ）", Api.Square(39.20, 140.56, 0.01), "flood");
        await Api.AddAreaAsync(admin, "増田 通行止め検討区域", Api.Square(39.21, 140.57, 0.005), "custom");
        using var anonymous = _hub.CreateClient();

        var found = await SearchAsync(anonymous, "増田");

        var district = Assert.Single(found);
        Assert.Equal("増田（デモ）", district!["name"]!.GetValue<string>());
        Assert.Equal("district", district["kind"]!.GetValue<string>());
        Assert.Equal(0, (await (await anonymous.GetAsync("/api/dashboard/config")).JsonAsync())["townPoints"]!.GetValue<int>());
    }

    [Fact]
    public async Task Nearest_GivesTheClosestTownWithinThreeKilometres_AndTheDistrictThePointIsIn()
    {
        using var admin = _hub.Admin();
        await Api.AddAreaAsync(admin, "横手（デモ）", Api.Square(39.31, 140.55, 0.05), "district");
        (await admin.PostAsJsonAsync("/api/places/towns", Collection(Town("朝倉町", "", 39.3135, 140.5583), Town("駅前町", "", 39.3094, 140.5483)))).EnsureSuccessStatusCode();
        using var anonymous = _hub.CreateClient();

        var near = await (await anonymous.GetAsync("/api/places/nearest?lat=39.3130&lon=140.5580")).JsonAsync();
        var far = await (await anonymous.GetAsync("/api/places/nearest?lat=39.60&lon=140.90")).JsonAsync();

        Assert.Equal("朝倉町", near["town"]!["town"]!.GetValue<string>());
        Assert.InRange(near["town"]!["distanceMeters"]!.GetValue<double>(), 30, 80);
        Assert.Equal("横手（デモ）", near["district"]!.GetValue<string>());
        Assert.Null(far["town"]);
        Assert.Null(far["district"]);
        await (await anonymous.GetAsync("/api/places/nearest?lat=91&lon=140")).AssertProblemAsync(400, "places.coordinates_invalid");
        await (await anonymous.GetAsync("/api/places/nearest?lat=39.3")).AssertProblemAsync(400, "places.coordinates_invalid");
    }

    [SharedDataFact]
    public async Task Import_TheRealYokoteTownPoints_FindsEachAtItsOwnPoint()
    {
        var geoJson = SharedData.Path("geo", "subareas", "yokote_town_points.geojson")!;
        var geolonia = SharedData.Path("geo", "subareas", "yokote_towns_geolonia_api.json")!;
        using var admin = _hub.Admin();
        using var anonymous = _hub.CreateClient();

        var fromApiFile = await (await admin.PostAsync("/api/places/towns", HttpJson.Raw(await File.ReadAllTextAsync(geolonia)))).JsonAsync();
        Assert.Equal(1158, fromApiFile["imported"]!.GetValue<int>());
        Assert.Equal(5, fromApiFile["rejected"]!.GetValue<int>());

        var imported = await (await admin.PostAsync("/api/places/towns", HttpJson.Raw(await File.ReadAllTextAsync(geoJson), "application/geo+json"))).JsonAsync();
        Assert.Equal(1158, imported["imported"]!.GetValue<int>());
        var asakura = (await SearchAsync(anonymous, "朝倉町"))[0]!;
        Assert.Equal("朝倉町", asakura["name"]!.GetValue<string>());
        Assert.Equal("横手", asakura["district"]!.GetValue<string>());
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(geoJson))!["features"]!.AsArray()
            .Single(f => f!["properties"]!["town"]!.GetValue<string>() == "朝倉町" && f["properties"]!["koaza"]!.GetValue<string>() == "")!["geometry"]!["coordinates"]!;
        Assert.Equal(expected[1]!.GetValue<double>(), asakura["lat"]!.GetValue<double>());
        Assert.Equal(expected[0]!.GetValue<double>(), asakura["lon"]!.GetValue<double>());
        Assert.Equal("十文字町西原一番町", (await SearchAsync(anonymous, "十文字町西原1番町"))[0]!["name"]!.GetValue<string>());
    }
}
