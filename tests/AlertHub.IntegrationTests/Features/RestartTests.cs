using System.Text;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features;

public sealed class RestartTests
{
    [Fact]
    public async Task StopMidFanOut_ThenRestartOnSameDatabase_DeliversEveryoneExactlyOnce()
    {
        const int residents = 1500;
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(15);
        var dataDirectory = HubFactory.NewDataDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Channels:Webhook:MaxConcurrency"] = "8",
            ["Channels:Webhook:MaxBatchSize"] = "50",
        };
        string alertId;
        var first = new HubFactory(dataDirectory, settings);
        try
        {
            await first.WaitReadyAsync();
            var ndjson = new StringBuilder();
            for (var i = 0; i < residents; i++)
            {
                var secret = $"restart-secret-{i:D6}";
                ndjson.Append("{\"places\":[{\"lat\":39.3,\"lon\":140.55}],\"endpoints\":[{\"channel\":\"webhook\",\"address\":\"")
                    .Append(receiver.Url($"r{i}", secret)).Append("\",\"secret\":\"").Append(secret).Append("\"}]}\n");
            }

            using var admin = first.Admin();
            var import = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
            Assert.Equal(residents, import["accepted"]!.GetValue<int>());
            var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } }));
            alertId = issued["id"]!.GetValue<string>();
            Assert.Equal(residents, issued["recipients"]!.GetValue<int>());
            await receiver.WaitForAsync(r => r.Count >= 200, TimeSpan.FromSeconds(30));
        }
        finally
        {
            first.Dispose();
        }

        var atStop = receiver.Received.Count;
        Assert.True(atStop < residents, $"fan-out finished before the stop ({atStop}); slow the receiver down");

        using var second = new HubFactory(dataDirectory, settings);
        await second.WaitReadyAsync();
        using var admin2 = second.Admin();
        var summary = await Api.WaitForDeliveryAsync(admin2, alertId, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == residents, TimeSpan.FromSeconds(60));
        Assert.Equal(0, summary["delivery"]!["total"]!["queued"]!.GetValue<long>());

        var received = receiver.Received.ToList();
        Assert.Equal(residents, received.Count);
        Assert.Equal(residents, received.Select(r => r.DeliveryId).Distinct().Count());
        Assert.Equal(residents, received.Select(r => r.Path).Distinct().Count());
        Assert.All(received, r => Assert.True(r.SignatureValid));
        Directory.Delete(dataDirectory, recursive: true);
    }
}
