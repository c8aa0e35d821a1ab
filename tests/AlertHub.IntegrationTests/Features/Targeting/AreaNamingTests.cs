using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Features.Places;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Targeting;

/// <summary>
/// What residents read as an alert's area: shapes drawn on the map are named after the 町字 or districts they cover,
/// never 「描画区域・半径2658m」; and staff texts may put the area's name where it belongs with <c>{area}</c>.
/// </summary>
public sealed class AreaNamingTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    private async Task<string> AreaNameAsync(HttpClient admin, object area)
    {
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(area));
        var view = await (await admin.GetAsync($"/api/alerts/{issued["id"]!.GetValue<string>()}")).JsonAsync();
        return view["current"]!["areaName"]!.GetValue<string>();
    }

    private async Task ImportTownsAsync(HttpClient admin) =>
        (await admin.PostAsJsonAsync("/api/places/towns", TownPointsTests.Collection(
            TownPointsTests.Town("朝倉町", "", 39.3135, 140.5583), TownPointsTests.Town("駅前町", "", 39.3094, 140.5483),
            TownPointsTests.Town("大町", "", 39.3120, 140.5560), TownPointsTests.Town("四日町", "", 39.3150, 140.5530),
            TownPointsTests.Town("四日町", "東", 39.3152, 140.5540), TownPointsTests.Town("山内土渕", "", 39.3300, 140.6500)))).EnsureSuccessStatusCode();

    [Fact]
    public async Task DrawnCircle_WithTownPoints_IsNamedAfterTheTownAtItsCentreAndARoundRadius()
    {
        using var admin = _hub.Admin();
        await ImportTownsAsync(admin);

        Assert.Equal("朝倉町付近から半径約2.7km", await AreaNameAsync(admin, new { circles = new[] { new { lat = 39.3136, lon = 140.5584, radiusMeters = 2658 } } }));
        Assert.Equal("駅前町付近から半径約500m", await AreaNameAsync(admin, new { circles = new[] { new { lat = 39.3094, lon = 140.5480, radiusMeters = 497 } } }));
        Assert.Equal("朝倉町付近から半径約3km", await AreaNameAsync(admin, new { circles = new[] { new { lat = 39.3135, lon = 140.5583, radiusMeters = 3010 } } }));
    }

    [Fact]
    public async Task DrawnPolygon_WithTownPoints_IsNamedAfterTheTownsInsideNearestItsCentreFirst()
    {
        using var admin = _hub.Admin();
        await ImportTownsAsync(admin);

        var fewTowns = await AreaNameAsync(admin, new { geometry = Api.Square(39.3125, 140.5570, 0.0022) });
        var manyTowns = await AreaNameAsync(admin, new { geometry = Api.Square(39.3125, 140.5530, 0.006) });

        Assert.Equal("大町・朝倉町", fewTowns);
        Assert.Equal("大町・四日町・朝倉町 ほか1町字", manyTowns);
    }

    [Fact]
    public async Task DrawnShapes_WithoutTownPoints_AreNamedAfterTheDistrictsTheyTouch()
    {
        using var admin = _hub.Admin();
        await Api.AddAreaAsync(admin, "平鹿（デモ）", Api.Square(39.25, 140.50, 0.05), "district");
        await Api.AddAreaAsync(admin, "横手川 浸水想定（デモ）", Api.Square(39.25, 140.50, 0.05), "flood");

        Assert.Equal("平鹿（デモ）の一部（半径約1.2kmの範囲）", await AreaNameAsync(admin, new { circles = new[] { new { lat = 39.25, lon = 140.50, radiusMeters = 1234 } } }));
        Assert.Equal("平鹿（デモ）の一部", await AreaNameAsync(admin, new { geometry = Api.Square(39.25, 140.50, 0.01) }));
        Assert.Equal("平鹿（デモ）", await AreaNameAsync(admin, new { geometry = Api.Square(39.25, 140.50, 0.06) }));
    }

    [Fact]
    public async Task DrawnShapes_AwayFromEveryKnownPlace_ReadAsAPlainDescriptionWithoutRawFigures()
    {
        using var admin = _hub.Admin();

        var circle = await AreaNameAsync(admin, new { circles = new[] { new { lat = 39.40, lon = 140.70, radiusMeters = 2658 } } });
        var polygon = await AreaNameAsync(admin, new { geometry = Api.Square(39.40, 140.70, 0.01) });

        Assert.Equal("指定した地点から半径約2.7km", circle);
        Assert.Equal("指定区域", polygon);
    }

    [Fact]
    public async Task NamedAreas_KeepTheirNames_BesideADrawnOne()
    {
        using var admin = _hub.Admin();
        await ImportTownsAsync(admin);
        var district = await Api.AddAreaAsync(admin, "横手（デモ）", Api.Square(39.31, 140.55, 0.05), "district");

        var name = await AreaNameAsync(admin, new { areaIds = new[] { district }, circles = new[] { new { lat = 39.3300, lon = 140.6500, radiusMeters = 800 } } });

        Assert.Equal("横手（デモ）・山内土渕付近から半径約800m", name);
    }

    [Fact]
    public async Task StaffText_WithTheAreaPlaceholder_ReadsTheAreaNameInTheAlertAndTheInbox()
    {
        using var admin = _hub.Admin();
        using var anonymous = _hub.CreateClient();
        var district = await Api.AddAreaAsync(admin, "大雄（デモ）", Api.Square(39.27, 140.42, 0.02), "district");
        var resident = await Api.RegisterAsync(anonymous, 39.27, 140.42);

        var issued = await Api.IssueAsync(admin, new
        {
            status = "Exercise", msgType = "Alert", @event = "避難指示", severity = "Extreme", urgency = "Immediate", certainty = "Observed",
            area = new { areaIds = new[] { district } },
            texts = new Dictionary<string, object>
            {
                ["ja"] = new { headline = "【警戒レベル4】避難指示", body = "{area}に避難指示を発令しました。", instruction = "{area}の危険な場所から全員避難してください。" },
                ["en"] = new { headline = "Evacuation order ({area})", body = "An evacuation order has been issued for {area}." },
            },
        });
        var view = await (await admin.GetAsync($"/api/alerts/{issued["id"]!.GetValue<string>()}")).JsonAsync();
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", resident.Token);
        var inbox = (await (await anonymous.GetAsync($"/api/residents/{resident.Id}/inbox")).JsonAsync()).AsArray();

        Assert.Equal("大雄（デモ）に避難指示を発令しました。", view["current"]!["texts"]!["ja"]!["body"]!.GetValue<string>());
        Assert.Equal("Evacuation order (大雄（デモ）)", view["current"]!["texts"]!["en"]!["headline"]!.GetValue<string>());
        var item = Assert.Single(inbox)!;
        Assert.Equal("これは訓練です。大雄（デモ）に避難指示を発令しました。", item["body"]!.GetValue<string>());
        Assert.Equal("大雄（デモ）の危険な場所から全員避難してください。", item["instruction"]!.GetValue<string>());
        Assert.Equal("大雄（デモ）", item["areaName"]!.GetValue<string>());
    }
}
