using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;
using Xunit.Abstractions;

namespace AlertHub.IntegrationTests.Features.Feeds;

/// <summary>
/// What a resident actually reads, through the whole path: a real telegram pushed to the hub, the rule shipped in
/// appsettings.json (no templates of its own: the hub's texts for the family), the alert, the webhook channel, in the
/// resident's language.
/// </summary>
public sealed class ResidentTextsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly HubFactory _hub = new();
    private WebhookReceiver _receiver = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _hub.WaitReadyAsync();
        _admin = _hub.Admin();
        await Api.AddAreaAsync(_admin, "横手市", Api.Square(39.31, 140.55, 0.1), "district", "0520300");
        using var client = _hub.CreateClient();
        const string secret = "resident-texts-secret-01";
        foreach (var language in new[] { "ja", "ja-x-easy", "en" })
        {
            await Api.RegisterAsync(client, 39.31, 140.55, [], [new { channel = "webhook", address = _receiver.Url(language, secret), secret }], language);
        }
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _receiver.DisposeAsync();
        _hub.Dispose();
    }

    [SharedDataFact]
    public async Task RealVxse53_Shindo5LowerInYokote_ShippedRule_EachResidentReadsWhatHappenedWhereWhoSaidSoAndWhatToDo()
    {
        var telegram = await File.ReadAllBytesAsync(SharedData.Path("fixtures", "feeds", "jma", "32-35_06_03_240613_VXSE53.xml")!);
        var pushed = await PushAsync(telegram);
        Assert.Contains("earthquake-shindo4-yokote: alert issued to 3 residents", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 3, TimeSpan.FromSeconds(10));

        var ja = Received("ja");
        var easy = Received("ja-x-easy");
        var en = Received("en");
        foreach (var (language, alert) in new[] { ("ja", ja), ("ja-x-easy", easy), ("en", en) })
        {
            output.WriteLine($"--- {language}\nheadline: {alert["headline"]}\nbody: {alert["body"]}\ninstruction: {alert["instruction"]}");
        }

        Assert.Equal("横手市で震度5弱の地震がありました（気象庁）", Text(ja, "headline"));
        Assert.Equal("6月14日 8時43分ごろ、地震がありました。震源地は岩手県内陸南部で、震源の深さは約10km、地震の規模（マグニチュード）は7.0と推定されます。"
            + "横手市で震度5弱を観測しました。この地震による津波の心配はありません。この地震について、緊急地震速報を発表しています。", Text(ja, "body"));
        Assert.Equal("まず身の安全を確保し、揺れが収まってから火の元を確認してください。揺れの強かった地域では、家屋の倒壊や土砂災害などの危険性が高まっています。"
            + "今後1週間程度は、同じ程度の揺れの地震に注意してください。", Text(ja, "instruction"));

        Assert.Equal("横手市（よこてし）で しんど 5じゃく の じしん が ありました（きしょうちょう）", Text(easy, "headline"));
        Assert.Equal("6がつ14にち 8じ43ふん ごろ、じしん が ありました。じしん が おきた ところ は 岩手県内陸南部（いわてけん ないりく なんぶ） です。"
            + "じしん の おおきさ は マグニチュード 7.0 です。横手市（よこてし）の ゆれ は しんど 5じゃく でした。つなみ の しんぱい は ありません。", Text(easy, "body"));
        Assert.Equal("まず あたま を まもって ください。ゆれ が とまったら、火（ひ）を けして ください。これから 1しゅうかん ぐらい、おなじ ぐらい つよい じしん が くる かもしれません。"
            + "きをつけて ください。", Text(easy, "instruction"));

        Assert.Equal("Earthquake in Yokote City, seismic intensity 5 Lower (JMA scale) — Japan Meteorological Agency", Text(en, "headline"));
        Assert.Equal("An earthquake occurred at about 08:43 on 14 June (Japan time). The epicentre was in southern inland Iwate Prefecture, about 10 km deep. "
            + "The magnitude is estimated at 7.0. In Yokote City, the shaking reached seismic intensity 5 Lower (JMA scale). There is no tsunami risk from this earthquake. "
            + "JMA issued an Earthquake Early Warning for this earthquake.", Text(en, "body"));
        Assert.Equal("Protect yourself first; check for fire once the shaking stops. In areas that shook strongly, buildings may collapse and landslides are more likely. "
            + "For about a week, be ready for earthquakes of similar strength.", Text(en, "instruction"));

        // JMA has not said 余震 since 2016; a drill is 【くんれん】 in やさしい日本語 (MessageRenderer).
        Assert.All(new[] { ja, easy }, a => Assert.DoesNotContain("余震", Text(a, "body") + Text(a, "instruction"), StringComparison.Ordinal));
        Assert.All(new[] { ja, easy, en }, a => Assert.Equal("地震", Text(a, "event")));

        // A quake alert carries expires: the family's 6 h (Feeds:ExpiresAfter:earthquake).
        var lifetime = ja["expires"]!.GetValue<DateTimeOffset>() - ja["sent"]!.GetValue<DateTimeOffset>();
        Assert.InRange(lifetime, TimeSpan.FromHours(6) - TimeSpan.FromSeconds(5), TimeSpan.FromHours(6));
    }

    private static string Text(JsonNode alert, string key) => alert[key]!.GetValue<string>();

    private JsonNode Received(string path) => _receiver.Received.Single(r => r.Path == path).Json["alert"]!;

    private async Task<JsonNode> PushAsync(byte[] telegram)
    {
        var response = await _admin.PostAsync("/api/feeds/jma", new ByteArrayContent(telegram));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }
}

/// <summary>A city outside the hub's own small name table reads romanised once JMA's code table is imported (Feeds:PlaceNames:Files).</summary>
public sealed class ImportedPlaceNamesTests
{
    [SharedDataFact]
    public async Task ImportedJmaCityTable_EnglishResidentOfYuzawa_ReadsYuzawaCity()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(settings: new()
        {
            ["Feeds:PlaceNames:Files:0"] = SharedData.Path("geo", "codes", "jma_citycode_2024-10-25_tmiyachi.csv"),
        });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await Api.AddAreaAsync(admin, "湯沢市", Api.Square(39.10, 140.50, 0.05), "district", "0520700");
        using var client = hub.CreateClient();
        const string secret = "imported-names-secret-1";
        await Api.RegisterAsync(client, 39.10, 140.50, [], [new { channel = "webhook", address = receiver.Url("en", secret), secret }], "en");
        var put = await admin.PutAsJsonAsync("/api/rules", new object[] { new { name = "quake-yuzawa", families = new[] { "JMA:VXSE53" }, minIntensity = "4", municipalities = new[] { "05207" } } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        var telegram = await File.ReadAllBytesAsync(SharedData.Path("fixtures", "feeds", "jma", "32-35_06_03_240613_VXSE53.xml")!);
        var response = await admin.PostAsync("/api/feeds/jma", new ByteArrayContent(telegram));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        await receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));
        var alert = receiver.Received.Single().Json["alert"]!;
        Assert.Equal("Earthquake in Yuzawa City, seismic intensity 5 Upper (JMA scale) — Japan Meteorological Agency", alert["headline"]!.GetValue<string>());
        Assert.Contains("In Yuzawa City, the shaking reached seismic intensity 5 Upper (JMA scale).", alert["body"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
