using System.Net.Http.Json;
using System.Xml.Linq;
using AlertHub.Core.Cap;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Channels.CapFeed;

public sealed class CapFeedTests : IDisposable
{
    private static readonly XNamespace Cap = CapSchema.Namespace12;
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private readonly HubFactory _hub = new(settings: new() { ["Hub:PublicBaseUrl"] = "https://alerts.example.jp" });

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task RealAlert_UpdateAndCancel_AppearAsValidCap12WithReferences()
    {
        using var admin = _hub.Admin();
        var zone = await Api.AddAreaAsync(admin, "横手市", Api.Square(39.3, 140.55, 0.05), "district", "0520300");
        var alert = new
        {
            status = "Actual", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
            area = new { areaIds = new[] { zone }, circles = new[] { new { lat = 39.31372, lon = 140.56661, radiusMeters = 1500 } } },
            texts = new Dictionary<string, object>
            {
                ["ja"] = new { headline = "横手川 氾濫危険情報", body = "横手川が氾濫危険水位に到達しました。", instruction = "直ちに避難してください。" },
                ["en"] = new { headline = "Yokote River flood danger", body = "The river reached the danger level." },
            },
            expires = DateTimeOffset.UtcNow.AddHours(6),
        };
        var issued = await Api.IssueAsync(admin, alert);
        var id = issued["id"]!.GetValue<string>();

        using var anonymous = _hub.CreateClient();
        var v1 = await CapAsync(anonymous, $"/feeds/cap/{id}.xml");
        Assert.Equal($"urn:alerthub:{id}:1", v1.Root!.Element(Cap + "identifier")!.Value);
        Assert.Equal("Actual", v1.Root.Element(Cap + "status")!.Value);
        Assert.Equal("Alert", v1.Root.Element(Cap + "msgType")!.Value);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$", v1.Root.Element(Cap + "sent")!.Value);
        var infos = v1.Root.Elements(Cap + "info").ToList();
        Assert.Equal(["ja-JP", "en-US"], infos.Select(i => i.Element(Cap + "language")!.Value));
        Assert.Equal("Met", infos[0].Element(Cap + "category")!.Value);
        Assert.Equal("横手川 氾濫危険情報", infos[0].Element(Cap + "headline")!.Value);
        var area = infos[0].Element(Cap + "area")!;
        Assert.Single(area.Elements(Cap + "polygon"));
        Assert.Equal("39.31372,140.56661 1.5", area.Element(Cap + "circle")!.Value);
        Assert.Equal("05203", area.Element(Cap + "geocode")!.Element(Cap + "value")!.Value);
        Assert.Null(v1.Root.Element(Cap + "references"));

        var feed = XDocument.Parse(await anonymous.GetStringAsync("/feeds/cap.atom"));
        var entry = Assert.Single(feed.Root!.Elements(Atom + "entry"));
        Assert.Equal($"urn:alerthub:{id}:1", entry.Element(Atom + "id")!.Value);
        Assert.Equal($"https://alerts.example.jp/feeds/cap/{id}/1.xml", entry.Element(Atom + "link")!.Attribute("href")!.Value);

        await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new { severity = "Extreme" });
        var v2 = await CapAsync(anonymous, $"/feeds/cap/{id}.xml");
        Assert.Equal("Update", v2.Root!.Element(Cap + "msgType")!.Value);
        Assert.Equal("Extreme", v2.Root.Element(Cap + "info")!.Element(Cap + "severity")!.Value);
        var v1Reference = $"{v1.Root.Element(Cap + "sender")!.Value},urn:alerthub:{id}:1,{v1.Root.Element(Cap + "sent")!.Value}";
        Assert.Equal(v1Reference, v2.Root.Element(Cap + "references")!.Value);

        await admin.PostAsync($"/api/alerts/{id}/cancel", null);
        var v3 = await CapAsync(anonymous, $"/feeds/cap/{id}/3.xml");
        Assert.Equal("Cancel", v3.Root!.Element(Cap + "msgType")!.Value);
        var references = v3.Root.Element(Cap + "references")!.Value.Split(' ');
        Assert.Equal(2, references.Length);
        Assert.Equal(v1Reference, references[0]);
        Assert.Contains($"urn:alerthub:{id}:2", references[1], StringComparison.Ordinal);
        var afterCancel = XDocument.Parse(await anonymous.GetStringAsync("/feeds/cap.atom"));
        Assert.Equal($"urn:alerthub:{id}:3", Assert.Single(afterCancel.Root!.Elements(Atom + "entry")).Element(Atom + "id")!.Value);

        var old = await CapAsync(anonymous, $"/feeds/cap/{id}/1.xml");
        Assert.Equal($"urn:alerthub:{id}:1", old.Root!.Element(Cap + "identifier")!.Value);
    }

    [Fact]
    public async Task ExerciseAlert_IsNotPublishedByDefault()
    {
        using var admin = _hub.Admin();
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.5, radiusMeters = 500 } } }));
        using var anonymous = _hub.CreateClient();
        await (await anonymous.GetAsync($"/feeds/cap/{issued["id"]!.GetValue<string>()}.xml")).AssertProblemAsync(404, "alerts.not_found");
        var feed = XDocument.Parse(await anonymous.GetStringAsync("/feeds/cap.atom"));
        Assert.Empty(feed.Root!.Elements(Atom + "entry"));
    }

    [Fact]
    public async Task Channels_ListCapFeedAsPullNotCountedTowardKpi()
    {
        using var admin = _hub.Admin();
        var channels = (await (await admin.GetAsync("/api/channels")).JsonAsync()).AsArray();
        var cap = Assert.Single(channels, c => c!["name"]!.GetValue<string>() == "cap-feed")!;
        Assert.Equal("pull", cap["kind"]!.GetValue<string>());
        Assert.False(cap["countsTowardKpi"]!.GetValue<bool>());
    }

    [SharedDataFact]
    public void CapSchema_AcceptsEveryRealCap12FixtureAndRejectsBrokenOnes()
    {
        // krisinformation.se puts senderName after headline and adds its own Type/Polygon elements: not valid CAP 1.2.
        const string knownInvalid = "sweden.cap.xml";
        var files = Directory.GetFiles(SharedData.Path("fixtures", "feeds", "cap")!, "*.xml")
            .Where(f => XDocument.Load(f).Root!.Name == Cap + "alert").ToList();
        Assert.True(files.Count >= 8, $"expected the CAP 1.2 fixtures, found {files.Count}");
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            var errors = CapSchema.Validate(stream);
            if (Path.GetFileName(file) == knownInvalid)
            {
                Assert.Contains(errors, e => e.Contains("senderName", StringComparison.Ordinal));
            }
            else
            {
                Assert.True(errors.Count == 0, $"{Path.GetFileName(file)}: {string.Join("; ", errors)}");
            }
        }

        files.RemoveAll(f => Path.GetFileName(f) == knownInvalid);

        var broken = XDocument.Load(files[0]);
        broken.Root!.Element(Cap + "status")!.Value = "Drill";
        using var brokenStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(broken.ToString()));
        Assert.NotEmpty(CapSchema.Validate(brokenStream));
    }

    private static async Task<XDocument> CapAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.StartsWith("application/cap+xml", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var errors = CapSchema.Validate(new MemoryStream(bytes));
        Assert.True(errors.Count == 0, string.Join("; ", errors));
        return XDocument.Load(new MemoryStream(bytes));
    }
}
