using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.Features;

/// <summary>
/// The hub as its own process, SIGKILLed in the middle of a fan-out and started again on the same data: nobody is
/// lost, and what goes out twice is at most what was in flight — the channel's concurrency — with the same delivery id.
/// </summary>
public sealed class CrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Residents = 3000;
    private const int Concurrency = 16;

    [Fact]
    public async Task Kill9_MidFanOut_NobodyIsLostAndResendsAreAtMostWhatWasInFlight()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(20);
        const string adminKey = "crash-test-admin-key-0123456789abcdef";
        var settings = new Dictionary<string, string?>
        {
            ["Channels:Webhook:MaxConcurrency"] = $"{Concurrency}",
            // Batches much larger than the concurrency: a batch recorded only when it ends would leave hundreds of
            // delivered items unrecorded at the kill.
            ["Channels:Webhook:MaxBatchSize"] = "256",
            ["Areas:LoadDemoAreas"] = "false",
            ["Storage:MinFreeDiskMegabytes"] = "0",
        };
        foreach (var (key, value) in TestEngine.SettingsFor(Guid.NewGuid().ToString("N")))
        {
            settings[key] = value;
        }

        await using var hub = await HubProcess.StartAsync(settings, adminKey, TimeSpan.FromMinutes(2), CancellationToken.None, builtConfiguration: BuildConfiguration);
        using var admin = new HttpClient { BaseAddress = hub.BaseAddress };
        admin.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
        var ndjson = new StringBuilder();
        for (var i = 0; i < Residents; i++)
        {
            var secret = $"crash-secret-{i:D6}";
            ndjson.Append("{\"places\":[{\"lat\":39.3,\"lon\":140.55}],\"endpoints\":[{\"channel\":\"webhook\",\"address\":\"")
                .Append(receiver.Url($"r{i}", secret)).Append("\",\"secret\":\"").Append(secret).Append("\"}]}\n");
        }

        var import = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
        Assert.Equal(Residents, import["accepted"]!.GetValue<int>());
        var issued = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } }));
        Assert.Equal(202, (int)issued.StatusCode);

        await receiver.WaitForAsync(r => r.Count >= Residents / 3, TimeSpan.FromSeconds(60));
        await hub.KillAndRestartAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        await receiver.WaitForAsync(r => r.Select(x => x.Path).Distinct().Count() >= Residents, TimeSpan.FromSeconds(90));
        await Task.Delay(500);

        var received = receiver.Received.ToList();
        var resent = received.GroupBy(r => r.Path).Where(g => g.Count() > 1).ToList();
        Assert.Equal(Residents, received.Select(r => r.Path).Distinct().Count());
        Assert.All(resent, g => Assert.Single(g.Select(r => r.DeliveryId).Distinct()));
        var copies = resent.Sum(g => g.Count() - 1);
        output.WriteLine($"killed at {Residents / 3}+ receipts; re-sent {copies} (in flight at most {Concurrency}); all {Residents} reached");
        Assert.True(copies <= Concurrency, $"{copies} messages went out twice; in flight at the kill were at most {Concurrency}");
    }

    [Fact]
    public async Task Kill9_WhileALargeFanOutIsStillBeingQueued_TheRestartFinishesQueueingAndNobodyIsLost()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        const string adminKey = "crash-test-admin-key-0123456789abcdef";
        var settings = new Dictionary<string, string?>
        {
            ["Channels:Webhook:MaxConcurrency"] = $"{Concurrency}",
            ["Areas:LoadDemoAreas"] = "false",
            ["Storage:MinFreeDiskMegabytes"] = "0",
            // One resident per later part: queueing takes thousands of transactions, so the kill lands in the middle.
            ["Alerts:QueueInPartsAbove"] = "100",
            ["Alerts:FirstPart"] = "100",
            ["Alerts:PartSize"] = "1",
        };
        foreach (var (key, value) in TestEngine.SettingsFor(Guid.NewGuid().ToString("N")))
        {
            settings[key] = value;
        }

        await using var hub = await HubProcess.StartAsync(settings, adminKey, TimeSpan.FromMinutes(2), CancellationToken.None, builtConfiguration: BuildConfiguration);
        using var admin = new HttpClient { BaseAddress = hub.BaseAddress };
        admin.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
        await Alerts.QueueingInPartsTests.ImportAsync(admin, receiver, Residents);
        var issued = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } }));
        Assert.Equal(202, (int)issued.StatusCode);
        Assert.Equal(Residents, (await issued.JsonAsync())["recipients"]!.GetValue<int>());

        await hub.KillAndRestartAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        await receiver.WaitForAsync(r => r.Select(x => x.Path).Distinct().Count() >= Residents, TimeSpan.FromSeconds(120));
        await Task.Delay(500);

        var received = receiver.Received.ToList();
        var copies = received.Count - received.Select(r => r.Path).Distinct().Count();
        output.WriteLine($"killed while queueing; {received.Count} receipts, re-sent {copies}; all {Residents} reached");
        Assert.Equal(Residents, received.Select(r => r.Path).Distinct().Count());
        Assert.True(copies <= Concurrency, $"{copies} messages went out twice; in flight at the kill were at most {Concurrency}");
        Assert.Contains("finishing queueing that stopped part way", hub.Output.ToString(), StringComparison.Ordinal);
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
