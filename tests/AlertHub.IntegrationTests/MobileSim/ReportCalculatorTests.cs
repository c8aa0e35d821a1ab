using AlertHub.MobileSim.Report;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>mobile-sim's report maths on a fixed set of receipts and a clock that does not move.</summary>
public sealed class ReportCalculatorTests
{
    private static readonly FakeTimeProvider Time = new();
    private static readonly long Issue = Time.GetTimestamp();

    private static readonly ResidentExpectation[] Residents =
    [
        new("r1", "signalr", true), new("r2", "signalr", true), new("r3", "signalr", false),
        new("w1", "webhook", true), new("w2", "webhook", true), new("w3", "webhook", false, Borderline: true),
    ];

    private static readonly Receipt[] Receipts =
    [
        new("r1", "signalr", "a", 1, At(10)),
        new("r1", "signalr", "a", 1, At(30)),   // duplicate
        new("r3", "signalr", "a", 1, At(20)),   // outside
        new("w1", "webhook", "a", 1, At(100)),
        new("w3", "webhook", "a", 1, At(200)),  // borderline: neither outside nor missed
        new("w1", "webhook", "a", 2, At(300)),  // a new version is not a duplicate
    ];

    private static readonly (IReadOnlyList<ChannelReport> Channels, ChannelReport Overall) Report = ReportCalculator.Compute(
        Residents, Receipts, 4, new Dictionary<string, int> { ["signalr"] = 2, ["webhook"] = 2 }, Issue, Time);

    // Fields a check does not pin are copied from the result, so a failure prints both whole records.
    private static long At(double ms) => Issue + (long)(ms * Time.TimestampFrequency / 1000.0);

    [Fact]
    public void ReportCalculator_SignalRChannel_CountsDuplicateOutsideAndMissedWithLatencies()
    {
        var s = Report.Channels.Single(c => c.Channel == "signalr");

        Assert.Equal(
            new ChannelReport("signalr", TargetedHub: 2, TargetedSim: 2, Received: 2, Deliveries: 3, Duplicates: 1, OutsideReached: 1,
                MissedInside: 1, Borderline: s.Borderline, P50Ms: 10, P95Ms: s.P95Ms, MaxMs: 20, P99Ms: 20, FirstMs: 10),
            s);
    }

    [Fact]
    public void ReportCalculator_WebhookChannel_IgnoresBorderlineAndDoesNotCountANewVersionAsDuplicate()
    {
        var w = Report.Channels.Single(c => c.Channel == "webhook");

        Assert.Equal(
            new ChannelReport("webhook", TargetedHub: w.TargetedHub, TargetedSim: 2, Received: 2, Deliveries: w.Deliveries, Duplicates: 0,
                OutsideReached: 0, MissedInside: 1, Borderline: 1, P50Ms: 100, P95Ms: 200, MaxMs: w.MaxMs, P99Ms: 200, FirstMs: 100),
            w);
    }

    [Fact]
    public void ReportCalculator_Overall_SumsTheChannels()
    {
        var o = Report.Overall;

        Assert.Equal(
            new ChannelReport(o.Channel, TargetedHub: 4, TargetedSim: 4, Received: 4, Deliveries: o.Deliveries, Duplicates: 1,
                OutsideReached: 1, MissedInside: 2, Borderline: o.Borderline, P50Ms: o.P50Ms, P95Ms: o.P95Ms, MaxMs: o.MaxMs, P99Ms: o.P99Ms, FirstMs: 10),
            o);
    }

    [Theory]
    [InlineData(50, 5)]
    [InlineData(95, 10)]
    public void ReportCalculator_Percentile_UsesNearestRank(double percent, double expected)
    {
        Assert.Equal(expected, ReportCalculator.Percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], percent));
    }

    [Fact]
    public void ReportCalculator_PercentileOfNothing_IsNull()
    {
        Assert.Null(ReportCalculator.Percentile([], 50));
    }

    [Fact]
    public void ChannelReport_PerSecond_IsDeliveriesOverTimeToTheLastReceipt()
    {
        var fourSeconds = new ChannelReport("webpush", 20_000, 20_000, 20_000, 20_000, 0, 0, 0, 0, 2_000, 3_900, MaxMs: 4_000);
        var nothing = fourSeconds with { Deliveries = 0, MaxMs = null };

        Assert.Equal(5_000, fourSeconds.PerSecond);
        Assert.Null(nothing.PerSecond);
    }

    /// <summary>
    /// Of the expected SignalR residents without a push, those whose inbox, read after reconnecting, listed the alert. A
    /// resident who had the push, one outside the area, another alert, and a second read of the same resident do not count.
    /// </summary>
    [Fact]
    public void InboxCatchUp_CountsExpectedSignalRResidentsWithoutAPush_ThatReadTheAlertInTheirInbox()
    {
        ResidentExpectation[] residents =
        [
            new("r1", "signalr", true), new("r2", "signalr", true), new("r4", "signalr", true), new("r5", "signalr", true),
            new("r3", "signalr", false), new("w1", "webhook", true),
        ];
        Receipt[] pushes = [new("r1", "signalr", "a", 1, At(10))];
        Receipt[] reads =
        [
            new("r1", "signalr", "a", 1, At(500)),   // had the push too
            new("r2", "signalr", "a", 1, At(2_000)),
            new("r2", "signalr", "a", 1, At(2_500)), // read again: the first read counts
            new("r4", "signalr", "a", 2, At(4_000)), // the inbox shows the current version
            new("r5", "signalr", "b", 1, At(900)),   // another alert
            new("r3", "signalr", "a", 1, At(700)),   // outside the area
        ];

        var inbox = ReportCalculator.InboxCatchUp(residents, pushes, reads, readsFailed: 1, "a", Issue, Time);

        Assert.Equal(new InboxCatchUpReport(WithoutPush: 3, ReadInInbox: 2, P50Ms: 2_000, MaxMs: 4_000, ResidentsSeeingIt: 4, ReadsFailed: 1), inbox);
        Assert.Null(ReportCalculator.InboxCatchUp(residents, pushes, [], readsFailed: 0, "a", Issue, Time));
    }
}
