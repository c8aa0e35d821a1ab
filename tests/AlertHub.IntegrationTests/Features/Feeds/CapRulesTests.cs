using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Feeds;

/// <summary>
/// CAP input through the rules, from the real USGS earthquake report (../shared/fixtures/feeds/cap/earthquake.cap.xml)
/// edited to speak of 横手市 (a JISX0402 geocode), to be current (expires) and Severe.
/// </summary>
public sealed class CapRulesTests : IAsyncLifetime
{
    private const string Sender = "http://earthquake.usgs.gov/research/monitoring/anss/neic/";
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
        const string secret = "cap-rules-secret-000001";
        await Api.RegisterAsync(client, 39.31, 140.55, [], [new { channel = "webhook", address = _receiver.Url("yokote", secret), secret }]);
        var put = await _admin.PutAsJsonAsync("/api/rules", new object[]
        {
            new
            {
                name = "cap-geo", families = new[] { "category:Geo" }, municipalities = new[] { "05203" }, @event = "地震",
                templates = new Dictionary<string, object> { ["ja"] = new { headline = "{headline}", body = "{headline}" } },
            },
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _receiver.DisposeAsync();
        _hub.Dispose();
    }

    [SharedDataFact]
    public async Task UpdateWithUrgencyPastButNoAllClear_IsARevision_NoAllClearReachesResidents()
    {
        var issued = await PushAsync(Edited("Alert", "USGS-earthquakes-us2010apcd.6", "2010-08-31T00:09:25-05:00", null, "Severe", "6.3"));
        Assert.Equal("New", issued["lifecycle"]!.GetValue<string>());
        Assert.Contains("cap-geo: alert issued to 1 residents", issued["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));

        // A revised magnitude, severity revised down, urgency still Past: a revision, not the end of the alert.
        var revised = await PushAsync(Edited("Update", "USGS-earthquakes-us2010apcd.7", "2010-08-31T01:10:00-05:00",
            $"{Sender},USGS-earthquakes-us2010apcd.6,2010-08-31T00:09:25-05:00", "Minor", "6.4"));

        Assert.Equal("Update", revised["lifecycle"]!.GetValue<string>());
        Assert.DoesNotContain("all-clear", revised["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Single(_receiver.Received);

        var lifted = await PushAsync(Edited("Update", "USGS-earthquakes-us2010apcd.8", "2010-08-31T02:00:00-05:00",
            $"{Sender},USGS-earthquakes-us2010apcd.6,2010-08-31T00:09:25-05:00", "Minor", "6.4", allClear: true));

        Assert.Equal("AllClear", lifted["lifecycle"]!.GetValue<string>());
        Assert.Contains("all-clear sent to the 1 residents", lifted["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        await _receiver.WaitForAsync(r => r.Count == 2, TimeSpan.FromSeconds(10));
        Assert.StartsWith("【解除】", _receiver.Received.Last().Json["alert"]!["headline"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static byte[] Edited(string msgType, string identifier, string sent, string? references, string severity, string magnitude, bool allClear = false)
    {
        var xml = File.ReadAllText(SharedData.Path("fixtures", "feeds", "cap", "earthquake.cap.xml")!);
        xml = Replace(xml, "<msgType>Alert</msgType>", $"<msgType>{msgType}</msgType>");
        xml = Replace(xml, "<identifier>USGS-earthquakes-us2010apcd.6.20100831T000925.496Z</identifier>", $"<identifier>{identifier}</identifier>");
        xml = Replace(xml, "<sent>2010-08-31T00:09:25-05:00</sent>", $"<sent>{sent}</sent>");
        xml = Replace(xml, "<scope>Public</scope>", "<scope>Public</scope>" + (references is null ? "" : $"<references>{references}</references>"));
        xml = Replace(xml, "<urgency>Past</urgency>", (allClear ? "<responseType>AllClear</responseType>" : "") + "<urgency>Past</urgency>");
        xml = Replace(xml, "<severity>Unknown</severity>", $"<severity>{severity}</severity>");
        xml = Replace(xml, "<expires>2010-09-02T00:09:25-05:00</expires>", $"<expires>{DateTimeOffset.UtcNow.AddDays(1):yyyy-MM-dd'T'HH:mm:ss}-00:00</expires>");
        xml = Replace(xml, "<value>6.3</value>", $"<value>{magnitude}</value>");
        xml = Replace(xml, "</circle>", "</circle><geocode><valueName>JISX0402</valueName><value>052035</value></geocode>");
        return Encoding.UTF8.GetBytes(xml);
    }

    private static string Replace(string xml, string from, string to)
    {
        Assert.Contains(from, xml, StringComparison.Ordinal);
        return xml.Replace(from, to, StringComparison.Ordinal);
    }

    private async Task<JsonNode> PushAsync(byte[] document)
    {
        var response = await _admin.PostAsync("/api/feeds/cap", new ByteArrayContent(document));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }
}
