using System.Net.Http.Json;
using System.Text;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Feeds;

/// <summary>Codes that name no single municipality reach the city's rules through the configured code table.</summary>
public sealed class CodeTableTests
{
    [SharedDataFact]
    public async Task SeismicRegionFromTheCodeTable_TriggersTheYokoteRule_ForecastAreasBuiltFromJmaTables()
    {
        // The forecast-area part of the table comes from JMA's code chain; the seismic region is set by the city.
        var csv = new StringBuilder("scheme,code,municipality\n");
        foreach (var line in File.ReadLines(SharedData.Path("geo", "codes", "jma_jmacode_2024-10-25_tmiyachi.csv")!).Skip(1))
        {
            var c = line.Split(',');
            if (c[0].StartsWith("05", StringComparison.Ordinal) && c[0].EndsWith("00", StringComparison.Ordinal))
            {
                csv.Append($"jma-forecast,{c[3]},{c[0][..5]}\njma-forecast,{c[6]},{c[0][..5]}\n");
            }
        }

        var table = Path.Combine(Path.GetTempPath(), $"codes-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(table, csv.ToString());
        try
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            using var hub = new HubFactory(settings: new()
            {
                ["Feeds:CodeTable:Files:0"] = table,
                ["Feeds:CodeTable:Codes:jma-seismic/233"] = "05203",
            });
            await hub.WaitReadyAsync();
            using var admin = hub.Admin();
            await Api.AddAreaAsync(admin, "横手市", Api.Square(39.31, 140.55, 0.1), "district", "0520300");
            using var client = hub.CreateClient();
            const string secret = "code-table-secret-001";
            await Api.RegisterAsync(client, 39.31, 140.55, [], [new { channel = "webhook", address = receiver.Url("yokote", secret), secret }]);
            var put = await admin.PutAsJsonAsync("/api/rules", new object[]
            {
                new
                {
                    name = "quake-4", families = new[] { "JMA:VXSE51" }, minIntensity = "4", municipalities = new[] { "05203" }, @event = "地震",
                    templates = new Dictionary<string, object> { ["ja"] = new { headline = "{area}で{intensity}", body = "{headline}" } },
                },
            });
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

            var telegram = await File.ReadAllBytesAsync(SharedData.Path("fixtures", "feeds", "jma", "32-39_11_01_120615_VXSE51.xml")!);
            var pushed = await (await admin.PostAsync("/api/feeds/jma", new ByteArrayContent(telegram))).JsonAsync();
            Assert.Contains("quake-4: alert issued to 1 residents", pushed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
            await receiver.WaitForAsync(r => r.Count == 1, TimeSpan.FromSeconds(10));
            Assert.Equal("秋田県内陸南部で震度4", receiver.Received.Single().Json["alert"]!["headline"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(table);
        }
    }
}
