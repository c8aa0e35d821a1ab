using System.Text.Json;
using AlertHub.IntegrationTests.Features.Cameras;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlertHub.IntegrationTests.Features.Alerts;

/// <summary>
/// At start the hub rehearses the issue path on a made-up exercise alert and rolls it back (IssueRehearsal), so the first
/// real alert after a restart does not pay for loading that path. The rehearsal must reach real residents (or it warms
/// nothing) and must leave nothing behind: no alert, version, outbox row, audit line, or delivery.
/// </summary>
public sealed class IssueRehearsalTests
{
    // The rehearsal's area: 2 km around the dashboard's default map centre. QueueingInPartsTests.ImportAsync places its
    // residents at 39.3, 140.55, about 1.3 km from it.
    private const double CentreLat = 39.3114;
    private const double CentreLon = 140.5535;

    // What issuing writes: the alert, its version, the outbox, and the audit line (other audit lines, such as the bootstrap key's, are not its own).
    private static readonly string[] Traces =
    [
        "SELECT count(*) FROM alerts", "SELECT count(*) FROM alert_versions", "SELECT count(*) FROM outbox_items", "SELECT count(*) FROM outbox_members",
        "SELECT count(*) FROM outbox_counts", "SELECT count(*) FROM audit_log WHERE action LIKE 'alerts.%'",
    ];

    [Fact]
    public Task Rehearsal_TargetsRealResidentsAndLeavesNoTrace_OnSqlite() => Rehearsal_TargetsRealResidentsAndLeavesNoTrace();

    [PostgresFact]
    public Task Rehearsal_TargetsRealResidentsAndLeavesNoTrace_OnPostgres() =>
        TestEngine.RunOnPostgresAsync(Rehearsal_TargetsRealResidentsAndLeavesNoTrace);

    private static async Task Rehearsal_TargetsRealResidentsAndLeavesNoTrace()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await QueueingInPartsTests.ImportAsync(admin, receiver, 30);
        var before = await CountsAsync(hub);

        var request = JsonSerializer.Deserialize<AlertRequest>(IssueRehearsal.RequestJson([CentreLat, CentreLon, 12]), Json.Options)!;
        var rehearsed = await hub.Services.GetRequiredService<AlertService>().RehearseIssueAsync(request, CancellationToken.None);

        // It went all the way: targeting found the residents and the outbox write counted them per channel.
        Assert.Equal(30, rehearsed.Recipients);
        Assert.Equal(30, rehearsed.ByChannel["webhook"]);
        Assert.Equal(before, await CountsAsync(hub));
        Assert.Empty((await (await admin.GetAsync("/api/alerts")).JsonAsync()).AsArray());

        // The workers poll every 200 ms in tests: nothing may go out.
        await Task.Delay(1_000);
        Assert.Empty(receiver.Received);

        // A real alert afterwards is version 1 and reaches everyone once.
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = CentreLat, lon = CentreLon, radiusMeters = 2000 } } }));
        Assert.Equal(1, issued["version"]!.GetValue<int>());
        await receiver.WaitForAsync(r => r.Count >= 30, TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        Assert.Equal(30, receiver.Received.Count);
        Assert.All(receiver.Received, r => Assert.Equal(issued["id"]!.GetValue<string>(), r.Json["alert"]!["alertId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Start_RehearsesOnTheStoredResidentsBeforeHealthIsReady()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var directory = HubFactory.NewDataDirectory();
        using (var first = new HubFactory(directory))
        {
            await first.WaitReadyAsync();
            using var admin = first.Admin();
            await QueueingInPartsTests.ImportAsync(admin, receiver, 12);
        }

        var logs = new CollectingLoggerProvider();
        using var hub = new HubFactory(directory, services: s => s.AddSingleton<ILoggerProvider>(logs));
        await hub.WaitReadyAsync();

        // /health answered only after the rehearsal, which found the 12 residents stored before the restart.
        Assert.Contains(logs.Messages, m => m.Contains("Issue path rehearsed at start (12 recipients targeted, rolled back)", StringComparison.Ordinal));
        Assert.Equal(0, await hub.CountAsync("SELECT count(*) FROM alerts"));
        Assert.Equal(0, await hub.CountAsync("SELECT count(*) FROM outbox_items"));
        await Task.Delay(600);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task Start_OnAFreshHub_RehearsesWithStandInsAndStoresNothing()
    {
        var logs = new CollectingLoggerProvider();
        using var hub = new HubFactory(services: s => s.AddSingleton<ILoggerProvider>(logs));
        await hub.WaitReadyAsync();

        // Nobody lives anywhere yet: the outbox write is rehearsed with made-up recipients, then rolled back.
        Assert.Contains(logs.Messages, m => m.Contains("Issue path rehearsed at start (nobody lives in its area:", StringComparison.Ordinal));
        Assert.All(await CountsAsync(hub), count => Assert.Equal(0, count));
    }

    [Fact]
    public async Task Start_WithTheRehearsalSwitchedOff_DoesNotRehearse()
    {
        var logs = new CollectingLoggerProvider();
        using var hub = new HubFactory(settings: new() { ["Alerts:RehearseIssueAtStart"] = "false" },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        await hub.WaitReadyAsync();

        Assert.DoesNotContain(logs.Messages, m => m.Contains("rehearsed", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(logs.Messages, m => m.Contains("AlertHub store ready", StringComparison.Ordinal));
    }

    private static async Task<long[]> CountsAsync(HubFactory hub)
    {
        var counts = new long[Traces.Length];
        for (var i = 0; i < Traces.Length; i++)
        {
            counts[i] = await hub.CountAsync(Traces[i]);
        }

        return counts;
    }
}
