using System.Net.Http.Json;
using System.Xml.Linq;
using AlertHub.Core.Cap;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Channels.CapFeed;

/// <summary>
/// The public CAP 1.2 output of a rule-issued quake alert (the real 2008 VXSE53, 横手市 at 震度5弱, through the rule
/// shipped in appsettings.json), its all-clear and cancel, and an alert naming one area twice. Every document is
/// validated against the CAP 1.2 schema.
/// </summary>
public sealed class CapFeedOutputTests : IAsyncLifetime
{
    private static readonly XNamespace Cap = CapSchema.Namespace12;
    private readonly HubFactory _hub = new(settings: new() { ["Hub:PublicBaseUrl"] = "https://alerts.example.jp" });
    private HttpClient _admin = null!;
    private string _zone = null!;

    public async Task InitializeAsync()
    {
        await _hub.WaitReadyAsync();
        _admin = _hub.Admin();
        _zone = await Api.AddAreaAsync(_admin, "横手市", Api.Square(39.31, 140.55, 0.1), "district", "0520300");
        using var client = _hub.CreateClient();
        await Api.RegisterAsync(client, 39.31, 140.55);
    }

    public Task DisposeAsync()
    {
        _admin.Dispose();
        _hub.Dispose();
        return Task.CompletedTask;
    }

    [SharedDataFact]
    public async Task QuakeAlertFromARealTelegram_EnglishBlockIsEnglish_CarriesExpiresAndBothJisCodes()
    {
        var id = await QuakeAlertAsync();
        using var anonymous = _hub.CreateClient();

        var cap = await CapAsync(anonymous, $"/feeds/cap/{id}.xml");

        var infos = cap.Root!.Elements(Cap + "info").ToDictionary(i => i.Element(Cap + "language")!.Value);
        Assert.Equal(["ja-JP", "ja-x-easy", "en-US"], infos.Keys);
        var en = infos["en-US"];
        Assert.Equal("Earthquake", en.Element(Cap + "event")!.Value);
        Assert.Equal("Yokote City", en.Element(Cap + "area")!.Element(Cap + "areaDesc")!.Value);
        Assert.Equal("Earthquake in Yokote City, seismic intensity 5 Lower (JMA scale) — Japan Meteorological Agency", en.Element(Cap + "headline")!.Value);
        Assert.Equal("地震", infos["ja-JP"].Element(Cap + "event")!.Value);
        Assert.Equal("横手市", infos["ja-JP"].Element(Cap + "area")!.Element(Cap + "areaDesc")!.Value);
        Assert.All(infos.Values, i =>
        {
            Assert.Equal("Geo", i.Element(Cap + "category")!.Value);
            var expires = DateTimeOffset.Parse(i.Element(Cap + "expires")!.Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(5.9), TimeSpan.FromHours(6)); // the quake family's 6 h
            Assert.StartsWith($"https://alerts.example.jp/feeds/cap/{id}/1.xml", i.Element(Cap + "web")!.Value, StringComparison.Ordinal);
        });
        var geocodes = en.Element(Cap + "area")!.Elements(Cap + "geocode").Select(g => (g.Element(Cap + "valueName")!.Value, g.Element(Cap + "value")!.Value));
        Assert.Equal([("JISX0402", "05203"), ("jisX0402", "052035")], geocodes);
        Assert.Single(en.Element(Cap + "area")!.Elements(Cap + "polygon"));
    }

    [SharedDataFact]
    public async Task AllClearAndCancel_AllClearIsPastAndMinor_CancelCarriesExpires()
    {
        var id = await QuakeAlertAsync();
        Assert.Equal(202, (int)(await _admin.PostAsync($"/api/alerts/{id}/all-clear", null)).StatusCode);
        using var anonymous = _hub.CreateClient();

        var cleared = await CapAsync(anonymous, $"/feeds/cap/{id}/2.xml");

        Assert.Equal("Update", cleared.Root!.Element(Cap + "msgType")!.Value);
        Assert.All(cleared.Root.Elements(Cap + "info"), i =>
        {
            Assert.Equal("AllClear", i.Element(Cap + "responseType")!.Value);
            Assert.Equal("Past", i.Element(Cap + "urgency")!.Value);
            Assert.Equal("Minor", i.Element(Cap + "severity")!.Value);
        });

        var other = await QuakeAlertAsync(secondAlert: true);
        Assert.Equal(202, (int)(await _admin.PostAsync($"/api/alerts/{other}/cancel", null)).StatusCode);
        var cancel = await CapAsync(anonymous, $"/feeds/cap/{other}/2.xml");
        Assert.Equal("Cancel", cancel.Root!.Element(Cap + "msgType")!.Value);
        var sent = DateTimeOffset.Parse(cancel.Root.Element(Cap + "sent")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(cancel.Root.Elements(Cap + "info"), i =>
            Assert.Equal(sent + TimeSpan.FromHours(24), DateTimeOffset.Parse(i.Element(Cap + "expires")!.Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Written from the spec: an alert naming the same hub area by id and by its code.</summary>
    [Fact]
    public async Task AreaNamedByIdAndByCode_IsOnePolygonAndOneSetOfGeocodes()
    {
        var issued = await Api.IssueAsync(_admin, new
        {
            status = "Actual", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
            area = new { areaIds = new[] { _zone }, codes = new[] { "0520300" } },
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "横手川 氾濫危険情報" }, ["en"] = new { headline = "Yokote River flood danger" } },
            expires = DateTimeOffset.UtcNow.AddHours(6),
        });
        using var anonymous = _hub.CreateClient();

        var cap = await CapAsync(anonymous, $"/feeds/cap/{issued["id"]!.GetValue<string>()}.xml");

        Assert.All(cap.Root!.Elements(Cap + "info"), i =>
        {
            var area = i.Element(Cap + "area")!;
            Assert.Single(area.Elements(Cap + "polygon"));
            Assert.Equal(2, area.Elements(Cap + "geocode").Count());
        });
        Assert.Equal("Flood", cap.Root.Elements(Cap + "info").Single(i => i.Element(Cap + "language")!.Value == "en-US").Element(Cap + "event")!.Value);
    }

    private async Task<string> QuakeAlertAsync(bool secondAlert = false)
    {
        var xml = await File.ReadAllTextAsync(SharedData.Path("fixtures", "feeds", "jma", "32-35_06_03_240613_VXSE53.xml")!);
        if (secondAlert)
        {
            // Another quake (another EventID), so another series and alert.
            xml = xml.Replace("<EventID>20080614084350</EventID>", "<EventID>20080614094350</EventID>", StringComparison.Ordinal);
        }

        var response = await _admin.PostAsync("/api/feeds/jma", new StringContent(xml));
        var pushed = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, pushed.ToJsonString());
        return pushed["alertId"]!.GetValue<string>();
    }

    private static async Task<XDocument> CapAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var errors = CapSchema.Validate(new MemoryStream(bytes));
        Assert.True(errors.Count == 0, string.Join("; ", errors));
        return XDocument.Load(new MemoryStream(bytes));
    }
}
