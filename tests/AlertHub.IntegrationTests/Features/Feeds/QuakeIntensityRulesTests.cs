using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Feeds;

/// <summary>
/// A 3-digit 地震情報／細分区域 speaks for its strongest place, not for every municipality in it. The code table maps
/// 秋田県内陸南部 (233) to 横手市, but a VXSE53 that gives 横手市 its own intensity must be judged by that intensity.
/// All telegrams here are the real 2008 岩手・宮城内陸地震 VXSE53 (233 at 5強 because of 湯沢市 and 東成瀬村), some edited.
/// </summary>
public sealed class QuakeIntensityRulesTests : IAsyncLifetime
{
    private const string Fixture = "32-35_06_03_240613_VXSE53.xml";
    private readonly HubFactory _hub = new(settings: new() { ["Feeds:CodeTable:Codes:jma-seismic/233"] = "05203 05463" });
    private WebhookReceiver _receiver = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _hub.WaitReadyAsync();
        _admin = _hub.Admin();
        await Api.AddAreaAsync(_admin, "横手市", Api.Square(39.31, 140.55, 0.1), "district", "0520300");
        await Api.AddAreaAsync(_admin, "羽後町", Api.Square(39.10, 140.40, 0.04), "district", "0546300");
        using var client = _hub.CreateClient();
        const string secret = "quake-intensity-secret-1";
        await Api.RegisterAsync(client, 39.31, 140.55, [], [new { channel = "webhook", address = _receiver.Url("yokote", secret), secret }]);
        await Api.RegisterAsync(client, 39.10, 140.40, [], [new { channel = "webhook", address = _receiver.Url("ugo", secret), secret }]);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _receiver.DisposeAsync();
        _hub.Dispose();
    }

    [SharedDataFact]
    public async Task Vxse53_CityAt3InARegionAt5Upper_DoesNotFireTheShindo4RuleForTheCity()
    {
        await PutRuleAsync("05203", "4");
        var telegram = WithYokote(Read(), city => Regex.Replace(city, @"<(MaxInt|Int)>(5-|4)</\1>", "<$1>3</$1>"));
        Assert.Contains("<Name>横手市</Name><Code>0520300</Code><MaxInt>3</MaxInt>", telegram, StringComparison.Ordinal);
        Assert.Contains("<Name>秋田県内陸南部</Name><Code>233</Code><MaxInt>5+</MaxInt>", telegram, StringComparison.Ordinal);

        var pushed = await PushAsync(telegram);

        Assert.Contains("quake: nothing in effect in the rule's areas", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(pushed["alertId"]);
        await Task.Delay(500);
        Assert.Empty(_receiver.Received);
    }

    [SharedDataFact]
    public async Task Vxse53_CityAbsentFromATelegramWithCities_IsNotObserved_SoItsRegionDoesNotFireTheRule()
    {
        await PutRuleAsync("05203", "1");
        var telegram = WithYokote(Read(), _ => "");
        Assert.DoesNotContain("横手市</Name>", telegram[telegram.IndexOf("<Body", StringComparison.Ordinal)..], StringComparison.Ordinal);

        var pushed = await PushAsync(telegram);

        Assert.Contains("quake: nothing in effect in the rule's areas", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(300);
        Assert.Empty(_receiver.Received);
    }

    [SharedDataFact]
    public async Task Vxse53_CityAtItsOwn5Lower_FiresTheRuleOnItsOwnIntensity()
    {
        await PutRuleAsync("05203", "5-");

        var pushed = await PushAsync(Read());

        Assert.Contains("quake: alert issued to 1 residents", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));
        Assert.Equal("yokote", Assert.Single(_receiver.Received).Path);
        Assert.Equal("横手市で震度5弱", _receiver.Received.Single().Json["alert"]!["headline"]!.GetValue<string>());
    }

    [SharedDataFact]
    public async Task Vxse53_CityListedAs5LowerOrMoreNotYetReceived_CountsAs5Lower()
    {
        // 羽後町 is listed with 震度５弱以上未入電 (no MaxInt): JMA expects 5弱 or more there but has no figure yet.
        await PutRuleAsync("05463", "5-");

        var pushed = await PushAsync(Read());

        Assert.Contains("quake: alert issued to 1 residents", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));
        Assert.Equal("ugo", Assert.Single(_receiver.Received).Path);
    }

    [SharedDataFact]
    public async Task RuleExpiresAfter_OverridesTheFamilyDefault()
    {
        await PutRuleAsync("05203", "5-", expiresAfter: "01:30:00");

        var pushed = await PushAsync(Read());

        var alert = await (await _admin.GetAsync($"/api/alerts/{pushed["alertId"]!.GetValue<string>()}")).JsonAsync();
        var current = alert["current"]!;
        var lifetime = current["expires"]!.GetValue<DateTimeOffset>() - current["sent"]!.GetValue<DateTimeOffset>();
        Assert.InRange(lifetime, TimeSpan.FromMinutes(90) - TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(90));
    }

    [SharedDataFact]
    public async Task TornadoAlertPastItsValidDateTime_IsNotSent()
    {
        var put = await _admin.PutAsJsonAsync("/api/rules", new object[] { new { name = "tornado", families = new[] { "JMA:VPHW50" }, areaMode = "kinds", areaKinds = new[] { "district" } } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        var pushed = await PushAsync(File.ReadAllText(SharedData.Path("fixtures", "feeds", "jma", "19_03_01_130906_VPHW50.xml")!));

        Assert.Contains("tornado: expired (2013-07-26T01:30:00.0000000+00:00) before it could be sent: no message", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(300);
        Assert.Empty(_receiver.Received);
    }

    private static string Read() => File.ReadAllText(SharedData.Path("fixtures", "feeds", "jma", Fixture)!);

    /// <summary>Replaces the 横手市 City element of the Body (the Headline is left as JMA wrote it).</summary>
    private static string WithYokote(string telegram, Func<string, string> edit)
    {
        var body = telegram.IndexOf("<Body", StringComparison.Ordinal);
        var city = new Regex(@"<City><Name>横手市</Name>[\s\S]*?</City>\s*", RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.Single(city.Matches(telegram[body..]));
        return telegram[..body] + city.Replace(telegram[body..], m => edit(m.Value), 1);
    }

    private async Task PutRuleAsync(string municipality, string minIntensity, string? expiresAfter = null)
    {
        var put = await _admin.PutAsJsonAsync("/api/rules", new object[]
        {
            new
            {
                name = "quake", families = new[] { "JMA:VXSE51", "JMA:VXSE53" }, minIntensity, municipalities = new[] { municipality }, @event = "地震",
                templates = new Dictionary<string, object> { ["ja"] = new { headline = "{area}で{intensity}", body = "{headline}" } }, expiresAfter,
            },
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    private async Task<JsonNode> PushAsync(string telegram)
    {
        var response = await _admin.PostAsync("/api/feeds/jma", new ByteArrayContent(Encoding.UTF8.GetBytes(telegram)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }
}
