using AlertHub.MobileSim;
using AlertHub.MobileSim.Report;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>mobile-sim's --ha, --kill-db-primary and --kill-redis-primary: refused when they cannot mean anything, and the
/// kill report's pauses.</summary>
public sealed class FailoverRunOptionsTests
{
    [Fact]
    public void HighAvailability_NeedsACluster_AndServerKillsNeedIt()
    {
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(["run", "--start-hub", "--ha"]).HighAvailability(1));
        Assert.True(CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--ha"]).HighAvailability(3));
        Assert.False(CommandLine.Parse(["run", "--start-hub", "--cluster", "3"]).HighAvailability(3));
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--kill-db-primary", "30"]).HighAvailability(3));
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--kill-redis-primary", "30"]).HighAvailability(3));
    }

    [Theory]
    [InlineData("--kill-db-primary", "30", "database", 0.3)]
    [InlineData("--kill-redis-primary", "12.5", "redis", 0.125)]
    public void KillServer_TakesAPercentage(string option, string value, string server, double share)
    {
        var kill = CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--ha", option, value]).KillServer();

        Assert.Equal((server, share), kill);
    }

    [Theory]
    [InlineData("--kill-db-primary", "0")]
    [InlineData("--kill-db-primary", "100")]
    [InlineData("--kill-redis-primary", "half")]
    public void KillServer_OutsideZeroToHundred_IsRefused(string option, string value) =>
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--ha", option, value]).KillServer());

    [Fact]
    public void OneKillPerRun()
    {
        Assert.Throws<ArgumentException>(() =>
            CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--ha", "--kill-db-primary", "30", "--kill-redis-primary", "30"]).KillServer());
        Assert.Throws<ArgumentException>(() =>
            CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--ha", "--kill-db-primary", "30", "--kill-node", "2@30"]).KillServer());
        Assert.Throws<ArgumentException>(() =>
            CommandLine.Parse(["run", "--start-hub", "--cluster", "3", "--ha", "--kill-db-primary", "30", "--repeat", "3"]).ToSimulationOptions("key"));
    }

    [Fact]
    public async Task KillReport_NamesTheServer_AndMeasuresTheLongestPauseAfterTheKill_OverallAndOnSignalR()
    {
        var receipts = new ReceiptLog();
        var time = TimeProvider.System;
        var monitor = new HubKillMonitor([0.5], _ => Task.FromResult(TimeSpan.FromSeconds(4)), receipts, time, TimeSpan.FromSeconds(30),
            server: "database primary", channel: "webhook");
        monitor.Arm(time.GetTimestamp(), before: 0, expected: 2);
        receipts.Add(new Receipt("r1", "webhook", "a1", 1, time.GetTimestamp()));
        await monitor.WaitDoneAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(400);
        receipts.Add(new Receipt("r2", "webhook", "a1", 1, time.GetTimestamp()));
        await Task.Delay(50);
        receipts.Add(new Receipt("r3", "signalr", "a1", 1, time.GetTimestamp()));

        var kill = Assert.Single(monitor.Report(receipts.Snapshot()));

        Assert.Equal("database primary", kill.Server);
        Assert.Equal(1, kill.ReceiptsAtKill);
        Assert.Equal(4000, kill.RestartMs);
        // The kill to r2 (400 ms and more) is the longest stretch; SignalR's only receipt came about 450 ms after the kill.
        Assert.InRange(kill.LongestPauseMs!.Value, 380, 5_000);
        Assert.InRange(kill.LongestSignalRPauseMs!.Value, kill.LongestPauseMs.Value, 5_000);
        Assert.Equal(1, receipts.DistinctCountOf("signalr"));
        Assert.Equal(2, receipts.DistinctCountOf("webhook"));
    }

    [Theory]
    [InlineData("      Channel fcm: the store is unavailable (No suitable host was found.); retrying", 1, 0, 0)]
    [InlineData("      Channel line: 412 outcomes recorded after waiting 5.3 s for the store", 0, 412, 0)]
    [InlineData("      Cluster Redis failed over: the primary is now 127.0.0.1:20001 (was 127.0.0.1:20000); presence is announced again", 0, 0, 1)]
    [InlineData("      Channel fcm: the store is unavailable (No suitable host was found.); 30 outcomes wait for it", 0, 0, 0)]
    [InlineData("info: Took over 12 outbox items", 0, 0, 0)]
    [InlineData(null, 0, 0, 0)]
    public void FailoverRetries_AreCountedFromTheHubsOwnWarnings(string? line, int store, int outcomes, int redis) =>
        Assert.Equal((store, outcomes, redis), FailoverRetries.Of(line));
}
