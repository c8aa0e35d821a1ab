using System.Diagnostics;
using System.Text.Json;
using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Delivery.Channels.LAlert;
using AlertHub.Tests.Shared;
using Xunit.Abstractions;

namespace AlertHub.UnitTests.Channels.LAlert;

/// <summary>The issue's figure: a 避難指示 document naming every 町字 of 横手市 (../shared's town points) is built within 50 ms and reads back whole.</summary>
public sealed class LAlertYokoteDistrictsTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset At = new(2026, 7, 1, 9, 50, 0, TimeSpan.FromHours(9));
    private static readonly Dictionary<string, int> Levels = new() { ["高齢者等避難"] = 3, ["避難指示"] = 4, ["緊急安全確保"] = 5 };

    [SharedDataFact]
    public void Evacuation_EveryTownOfYokote_IsBuiltWithin50ms_AndReadsBackWhole()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(SharedData.Path("geo", "subareas", "yokote_town_points.geojson")!));
        var districts = json.RootElement.GetProperty("features").EnumerateArray().Select(f =>
        {
            var name = f.GetProperty("properties").GetProperty("town").GetString()!;
            var point = f.GetProperty("geometry").GetProperty("coordinates");
            return new LAlertDistrict("name:" + name, name, null, null, point[1].GetDouble(), point[0].GetDouble());
        }).DistinctBy(d => d.Name).ToList();
        var entries = districts.Select(d => new EvacuationEntry(d, "避難指示", true, At)).ToList();
        var who = LAlertPublisherInfo.From(new LAlertOptions { SenderId = "bousai.city.yokote.example", OfficePhone = "0182-32-2111" });
        var header = new LAlertHeader("7a3c1f0e-0000-4000-8000-000000000009", 1, "Report", "Actual", Guid.NewGuid().ToString(), At, At,
            "秋田県横手市 避難情報", $"避難指示 発令 {districts.Count}地区", "洪水", null);
        LAlertDocumentWriter.Evacuation(header, who, entries, Levels); // warm-up: the first call pays for JIT

        var times = new List<double>();
        byte[] xml = [];
        for (var i = 0; i < 7; i++)
        {
            var watch = Stopwatch.StartNew();
            xml = LAlertDocumentWriter.Evacuation(header, who, entries, Levels);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        var median = times.Order().ElementAt(times.Count / 2);
        output.WriteLine($"{districts.Count} 町字, {xml.Length:N0} bytes, median build {median:F2} ms (all: {string.Join(", ", times.Select(t => t.ToString("F2")))})");
        Assert.True(median <= 50, $"median build {median:F2} ms for {districts.Count} 町字");
        var e = FeedParser.Parse(xml);
        Assert.Equal(districts.Select(d => d.Name).Order(StringComparer.Ordinal),
            e.Areas.Where(a => a.Scheme == "name").Select(a => a.Code).Order(StringComparer.Ordinal));
        Assert.All(e.Areas.Where(a => a.Scheme == "name"), a => Assert.Equal(("発令", 4), (a.Status, a.AlertLevel)));
    }
}
