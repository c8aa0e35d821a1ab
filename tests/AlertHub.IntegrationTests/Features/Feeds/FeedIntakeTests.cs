using System.Text;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Feeds;

public sealed class FeedIntakeTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [SharedDataFact]
    public async Task EveryFixture_IsAcceptedStoredRawAndListed_NoneQuarantined()
    {
        using var admin = _hub.Admin();
        var root = SharedData.Path("fixtures", "feeds")!;
        var count = 0;
        foreach (var (folder, source) in new[] { ("jma", "jma"), ("lalert", "lalert"), ("cap", "cap") })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(root, folder), "*.xml"))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                var response = await admin.PostAsync($"/api/feeds/{source}", new ByteArrayContent(bytes));
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, $"{folder}/{Path.GetFileName(file)}: {body}");
                count++;
            }
        }

        var events = (await (await admin.GetAsync("/api/events?limit=1000")).JsonAsync()).AsArray();
        Assert.Equal(count, events.Count);
        Assert.Empty((await (await admin.GetAsync("/api/feeds/quarantine")).JsonAsync()).AsArray());
        Assert.Contains(events, e => e!["interpreted"]!.GetValue<bool>() == false);
        Assert.Contains(events, e => e!["family"]!.GetValue<string>() == "JMA:VXSE53");
    }

    [Theory]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Report xmlns="http://xml.kishou.go.jp/jmaxml1/">&x;</Report>""", 422, "feeds.xml_dtd_forbidden")]
    [InlineData("""<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"><Control><Title>土砂""", 422, "feeds.xml_malformed")]
    [InlineData("""<html><body>not a feed</body></html>""", 422, "feeds.unrecognized")]
    public async Task HostileOrBrokenDocument_IsRejectedWithCodeAndQuarantined(string document, int status, string code)
    {
        using var admin = _hub.Admin();
        var response = await admin.PostAsync("/api/feeds/jma", new ByteArrayContent(Encoding.UTF8.GetBytes(document)));
        await response.AssertProblemAsync(status, code);
        var quarantine = (await (await admin.GetAsync("/api/feeds/quarantine")).JsonAsync()).AsArray();
        Assert.Contains(quarantine, q => q!["code"]!.GetValue<string>() == code);
        Assert.Empty((await (await admin.GetAsync("/api/events")).JsonAsync()).AsArray());
    }

    [Fact]
    public async Task HundredMegabyteDocument_IsRejectedTooLargeAndQuarantined()
    {
        using var admin = _hub.Admin();
        var big = new byte[100 * 1024 * 1024];
        Encoding.ASCII.GetBytes("<Report>").CopyTo(big, 0);
        var response = await admin.PostAsync("/api/feeds/jma", new ByteArrayContent(big));
        await response.AssertProblemAsync(413, "feeds.too_large");
        var quarantined = Assert.Single((await (await admin.GetAsync("/api/feeds/quarantine")).JsonAsync()).AsArray())!;
        Assert.Equal("feeds.too_large", quarantined["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task PushingFeeds_NeedsTheIngestRole()
    {
        var viewer = await _hub.CreateKeyAsync("viewer");
        using var client = _hub.WithKey(viewer);
        await (await client.PostAsync("/api/feeds/jma", new ByteArrayContent([1, 2, 3]))).AssertProblemAsync(403, "auth.forbidden");
        var ingest = await _hub.CreateKeyAsync("ingest");
        using var ingestClient = _hub.WithKey(ingest);
        await (await ingestClient.PostAsync("/api/feeds/rss", new ByteArrayContent([1]))).AssertProblemAsync(404, "feeds.source_unknown");
    }
}

public sealed class ConfiguredRulesTests
{
    [Fact]
    public async Task ShippedRules_LoadFromConfiguration_InJapaneseEasyJapaneseAndEnglish()
    {
        using var hub = new HubFactory();
        using var viewer = hub.WithKey(await hub.CreateKeyAsync("viewer"));
        var rules = (await (await viewer.GetAsync("/api/rules")).JsonAsync()).AsArray();
        Assert.Contains(rules, r => r!["name"]!.GetValue<string>() == "earthquake-shindo4-yokote" && r["minIntensity"]!.GetValue<string>() == "4");
        Assert.All(rules, r =>
        {
            // No texts of their own: they speak with the texts the hub ships for each family, in all three languages.
            Assert.Null(r!["templates"]);
            Assert.Equal(["05203"], r["municipalities"]!.AsArray().Select(m => m!.GetValue<string>()));
        });
        foreach (var family in new[] { "earthquake", "landslide", "weather-warning" })
        {
            var shipped = AlertHub.Server.Features.Rules.Templates.ResidentTemplates.For(family);
            Assert.Equal(["ja", "ja-x-easy", "en"], shipped.Keys);
            Assert.All(shipped.Values, t => Assert.False(string.IsNullOrWhiteSpace(t.Headline) || string.IsNullOrWhiteSpace(t.Body) || string.IsNullOrWhiteSpace(t.Instruction)));
        }
    }
}
