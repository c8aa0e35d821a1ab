using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.Features;

/// <summary>mobile-sim's whole run against the real hub in-process: the precision, reach and duplicate invariants (never timings).</summary>
public sealed class MobileSimTests
{
    [Theory]
    [InlineData(null, "elderly,children", false)]
    [InlineData("39.31372,140.56661,3000", "", false)]
    [InlineData(null, "elderly", true)]
    public async Task SimulationRun_SmallPopulation_ReachesExactlyTheTargetOnce(string? circle, string audience, bool viaFeed)
    {
        using var hub = new HubFactory(settings: new() { ["Areas:LoadDemoAreas"] = "true" });
        await hub.WaitReadyAsync();
        var server = hub.Server;
        CircleArea? circleArea = null;
        if (circle is not null)
        {
            var parts = circle.Split(',').Select(p => double.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            circleArea = new CircleArea(parts[0], parts[1], parts[2]);
        }

        var options = new SimulationOptions
        {
            Hub = server.BaseAddress,
            ApiKey = HubFactory.AdminKey,
            Residents = 2000,
            Seed = 11,
            Circle = circleArea,
            AreaNameOrId = circleArea is null && !viaFeed ? SimulationRunner.DefaultAreaName : null,
            Audience = audience.Split(',', StringSplitOptions.RemoveEmptyEntries),
            ViaFeed = viaFeed,
            Timeout = TimeSpan.FromSeconds(60),
            QuietPeriod = TimeSpan.FromSeconds(2),
            HubHandler = server.CreateHandler(),
            OpenSignalRSocket = (url, ct) => server.CreateWebSocketClient().ConnectAsync(url, ct),
        };

        var report = await new SimulationRunner(options).RunAsync(CancellationToken.None);

        var overall = report.Overall;
        Assert.True(overall.TargetedSim > 100, $"too few targeted to mean anything: {overall.TargetedSim}");
        Assert.Equal(0, report.Rejected);
        Assert.Equal(report.SignalRClients, report.SignalRConnected);
        // The feed path reads the counts from the alert the rule issued.
        Assert.InRange(overall.TargetedHub ?? -1, overall.TargetedSim, overall.TargetedSim + overall.Borderline);

        Assert.InRange(overall.Received, overall.TargetedSim, overall.TargetedSim + overall.Borderline);
        Assert.Equal(0, overall.Duplicates);
        Assert.Equal(0, overall.OutsideReached);
        Assert.Equal(0, overall.MissedInside);
        Assert.Equal(0, report.SignatureFailures);
        Assert.NotNull(report.HubTimings);
        Assert.True(report.HubTimings!.Batches > 0);
        Assert.True(report.HubTimings.ProviderMs > 0);
        if (!viaFeed)
        {
            Assert.True(report.HubTimings.OutboxWriteMs > 0, $"timings: {report.HubTimings}");
        }

        Assert.Equal(2, report.Channels.Count(c => c.Received > 0));
        Assert.True(report.InvariantsHold);
    }
}
