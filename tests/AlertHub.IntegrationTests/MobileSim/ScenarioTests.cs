using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>Every mobile-sim scenario at small scale against the real hub in-process: precision, reach and duplicates (never timings).</summary>
public sealed class ScenarioTests
{
    [Theory]
    [InlineData("flood", "")]
    [InlineData("quake", "elderly")]
    [InlineData("landslide", "")]
    public async Task SingleAlertScenario_SmallPopulation_ReachesExactlyTheTargetOnce(string name, string audience)
    {
        // The scenario enum is internal to the sim: theories take its command-line name.
        var scenario = ScenarioKinds.Parse(name);
        var report = await RunAsync(scenario, audience, []);

        AssertReachedExactlyOnce(report);
        Assert.Equal(ScenarioKinds.Name(scenario), report.Scenario);
    }

    [Fact]
    public async Task UpdateCancel_SmallPopulation_EachTargetedResidentGetsEveryVersionOnce()
    {
        var report = await RunAsync(ScenarioKind.UpdateCancel, "", []);

        AssertReachedExactlyOnce(report);
        var versions = Assert.IsType<List<VersionReport>>(report.Versions, exactMatch: false);
        Assert.Equal(["Alert", "Update", "Cancel"], versions.Select(v => v.MsgType));
        Assert.Equal([1, 2, 3], versions.Select(v => v.Version));
        foreach (var v in versions)
        {
            Assert.Equal(versions[0].Overall.TargetedSim, v.Overall.TargetedSim);
            Assert.Equal(v.Overall.TargetedSim, v.Overall.Received);
            Assert.Equal(v.Overall.Received, v.Overall.Deliveries);
            Assert.Equal(0, v.Overall.OutsideReached);
        }
    }

    [Fact]
    public async Task UpdateCancel_RetractedWhileASlowChannelIsStillSending_TheCancelFollowsEveryoneItReachedAndNobodyElse()
    {
        var report = await RunAsync(ScenarioKind.UpdateCancel, "", [], o => o with
        {
            // The whole city, so the first version is still going out when the update and the cancel come.
            Circle = new CircleArea(39.25, 140.52, 40_000),
            ChannelMix = PopulationGenerator.ParseMix("webhook=0.8,signalr=0.2"),
            WebhookDelay = TimeSpan.FromMilliseconds(200),
            RetractAt = 0.3,
        });

        var retraction = Assert.IsType<RetractionReport>(report.Retraction);
        Assert.Equal(0, retraction.EarlierWithoutCancel);
        Assert.Equal(0, retraction.CancelWithoutEarlier);
        Assert.Equal(0, retraction.CancelBeforeEarlier);
        Assert.Equal(retraction.ReceivedEarlier, retraction.ReceivedCancel);
        var targeted = report.Versions![0].Overall.TargetedSim;
        Assert.True(retraction.ReceivedEarlier > 0 && retraction.ReceivedEarlier < targeted,
            $"the retraction should come while the alert is still going out: {retraction.ReceivedEarlier} of {targeted} had it");
        Assert.Equal(0, report.Overall.OutsideReached);
        Assert.Equal(0, report.Overall.Duplicates);
    }

    [Fact]
    public async Task Repeat_SmallPopulation_EveryIssueReachesTheAreaOnceAndIsReportedOnItsOwn()
    {
        var report = await RunAsync(ScenarioKind.Flood, "", [], o => o with { Repeat = 3 });

        AssertReachedExactlyOnce(report);
        var repeat = Assert.IsType<RepeatReport>(report.Repeat);
        Assert.Equal(3, repeat.Rounds.Count);
        Assert.Equal(3, repeat.Rounds.Select(r => r.AlertId).Distinct().Count());
        Assert.Equal(report.AlertId, repeat.Rounds[^1].AlertId);
        Assert.All(repeat.Rounds, r =>
        {
            Assert.Equal(r.Expected, r.Received);
            Assert.Equal(0, r.Duplicates);
            Assert.NotNull(r.FirstReceiptMs);
            Assert.True(r.LastReceiptMs >= r.FirstReceiptMs);
        });
        // The earlier issues are the run's own alerts, not "receipts of other alerts".
        Assert.Equal(0, report.OtherAlertReceipts);
        Assert.NotNull(repeat.FirstReceipt.P95);
    }

    [Fact]
    public async Task Storm_SmallPopulation_EveryAlertReachesExactlyItsAreaOnce()
    {
        var report = await RunAsync(ScenarioKind.Storm, "", [], o => o with { StormAlerts = 24, StormSpan = TimeSpan.FromSeconds(2) });

        AssertReachedExactlyOnce(report);
        var storm = Assert.IsType<StormReport>(report.Storm);
        Assert.Equal(24, storm.Alerts.Count);
        Assert.Equal(24, storm.Alerts.Select(a => a.AlertId).Distinct().Count());
        Assert.True(storm.Alerts.Select(a => a.Area).Distinct().Count() >= 8, "the storm should cycle over many overlapping areas");
        Assert.All(storm.Alerts, a =>
        {
            Assert.Equal(0, a.Duplicates);
            Assert.Equal(0, a.OutsideReached);
            Assert.Equal(0, a.MissedInside);
            Assert.Equal(a.TargetedSim, a.HubRecipients);
        });
    }

    [Fact]
    public async Task Outage_FcmDownMidFanOut_EveryoneStillReceivesExactlyOnce()
    {
        var report = await RunAsync(ScenarioKind.Outage, "", ["fcm"], o => o with
        {
            ChannelMix = PopulationGenerator.ParseMix("signalr=0.1,webhook=0.2,fcm=0.7"),
            OutageDuration = TimeSpan.FromSeconds(3),
            OutageRetryAfter = TimeSpan.FromSeconds(1),
            // A small fan-out is over in milliseconds: go down before the first send so the outage surely bites.
            OutageTriggerShare = 0,
        });

        AssertReachedExactlyOnce(report);
        var outage = Assert.IsType<OutageReport>(report.Outage);
        Assert.True(outage.FcmExpected > 50, $"too few FCM residents targeted: {outage.FcmExpected}");
        Assert.Equal(0, outage.FcmReceivedDuringOutage);
        Assert.Equal(outage.FcmExpected, outage.FcmReceivedBeforeOutage + outage.FcmReceivedAfterOutage);
        Assert.True(outage.HitDuringFanOut);
        Assert.NotNull(outage.RecoveryMs);
        Assert.True(report.Channels.Single(c => c.Channel == "fcm").Received == outage.FcmExpected);
    }

    [Fact]
    public async Task Outage_FcmGoesDownWhileRequestsAreInFlight_NobodyMissedOrReachedTwice()
    {
        // FCM paced at 100 messages/s stretches the FCM fan-out over seconds, so the outage starts with requests in
        // flight and rows half recorded: the case where a retry must not repeat a message that already got its 200.
        var report = await RunAsync(ScenarioKind.Outage, "", ["fcm"], o => o with
        {
            ChannelMix = PopulationGenerator.ParseMix("webhook=0.3,fcm=0.7"),
            OutageDuration = TimeSpan.FromSeconds(3),
            OutageRetryAfter = TimeSpan.FromSeconds(1),
            OutageTriggerShare = 0.3,
        }, new() { ["Channels:Fcm:QuotaPerMinute"] = "6000" });

        AssertReachedExactlyOnce(report);
        var outage = Assert.IsType<OutageReport>(report.Outage);
        Assert.True(outage.FcmExpected > 200, $"too few FCM residents targeted: {outage.FcmExpected}");
        Assert.True(outage.HitDuringFanOut, "the outage began after the FCM fan-out had finished");
        Assert.InRange(outage.FcmReceivedBeforeOutage, 1, outage.FcmExpected - 1);
        Assert.Equal(0, outage.FcmReceivedDuringOutage);
        Assert.Equal(outage.FcmExpected, outage.FcmReceivedBeforeOutage + outage.FcmReceivedAfterOutage);
    }

    private static void AssertReachedExactlyOnce(SimulationReport report)
    {
        var overall = report.Overall;
        Assert.True(overall.TargetedSim > 20, $"too few targeted to mean anything: {overall.TargetedSim}");
        Assert.Equal(0, report.Rejected);
        Assert.Equal(report.SignalRClients, report.SignalRConnected);
        Assert.InRange(overall.Received, overall.TargetedSim, overall.TargetedSim + overall.Borderline);
        Assert.Equal(0, overall.Duplicates);
        Assert.Equal(0, overall.OutsideReached);
        Assert.Equal(0, overall.MissedInside);
        Assert.Equal(0, report.SignatureFailures);
        Assert.False(report.TimedOut);
        Assert.True(report.InvariantsHold);
    }

    private static async Task<SimulationReport> RunAsync(
        ScenarioKind scenario, string audience, string[] providerChannels, Func<SimulationOptions, SimulationOptions>? adjust = null,
        Dictionary<string, string?>? hubSettings = null)
    {
        var receipts = new ReceiptLog();
        var peers = await ProviderPeers.StartAsync(providerChannels, receipts, TimeProvider.System, anyPort: true);
        try
        {
            var settings = ProviderPeers.HubSettings(peers);
            settings["Areas:LoadDemoAreas"] = "true";
            foreach (var (key, value) in hubSettings ?? [])
            {
                settings[key] = value;
            }

            using var hub = new HubFactory(settings: settings);
            await hub.WaitReadyAsync();
            var server = hub.Server;
            var options = new SimulationOptions
            {
                Hub = server.BaseAddress,
                ApiKey = HubFactory.AdminKey,
                Residents = 1500,
                Seed = 5,
                SignalRShare = 0.3,
                Scenario = scenario,
                Audience = audience.Split(',', StringSplitOptions.RemoveEmptyEntries),
                // Scenario defaults target small zones; a wide landslide circle keeps the sample meaningful at 1,500 residents.
                LandslideRadiusMeters = 6000,
                Peers = peers,
                Receipts = receipts,
                Timeout = TimeSpan.FromSeconds(40),
                QuietPeriod = TimeSpan.FromSeconds(1),
                HubHandler = server.CreateHandler(),
                OpenSignalRSocket = (url, ct) => server.CreateWebSocketClient().ConnectAsync(url, ct),
            };
            options = adjust?.Invoke(options) ?? options;
            return await new SimulationRunner(options).RunAsync(CancellationToken.None);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }
}
