using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>The detail behind the charts: CDF points, 1 s delivery buckets from the issue, per-resident outcomes.</summary>
public sealed class ReportDetailTests
{
    private static readonly FakeTimeProvider Time = ReportFixtures.Time;

    private static readonly SimResident[] Population =
    [
        new("a", [], "ja", [new SimPlace("home", 39.3, 140.5), new SimPlace("work", 39.4, 140.6)], SimChannels.SignalR, null, false),
        new("b", [], "ja", [new SimPlace("home", 39.31, 140.51)], SimChannels.Webhook, "s", false),
        new("c", [], "ja", [new SimPlace("home", 39.32, 140.52)], SimChannels.Webhook, "s", false),
        new("d", [], "ja", [new SimPlace("home", 39.33, 140.53)], SimChannels.SignalR, null, false),
        new("e", [], "ja", [new SimPlace("home", 39.34, 140.54)], SimChannels.SignalR, null, false),
    ];

    private static readonly ResidentExpectation[] Expectations =
    [
        new("a", SimChannels.SignalR, true), new("b", SimChannels.Webhook, true), new("c", SimChannels.Webhook, false),
        new("d", SimChannels.SignalR, false), new("e", SimChannels.SignalR, false, Borderline: true),
    ];

    private static readonly Receipt[] Receipts =
    [
        new("a", SimChannels.SignalR, "x", 1, ReportFixtures.At(300)),
        new("a", SimChannels.SignalR, "x", 1, ReportFixtures.At(1500)),  // duplicate, still a delivery in second 1
        new("c", SimChannels.Webhook, "x", 1, ReportFixtures.At(2200)), // outside
    ];

    private static readonly ReportDetail Detail = ReportCalculator.ComputeDetail(Population, Expectations, Receipts, ReportFixtures.Issue, Time);

    [Fact]
    public void ComputeDetail_GivesEachResidentAnOutcomeAtTheirHome()
    {
        Assert.Equal(
            [
                new ResidentOutcome("a", SimChannels.SignalR, 39.3, 140.5, true, 2, Outcomes.Received, 300),
                new ResidentOutcome("b", SimChannels.Webhook, 39.31, 140.51, true, 0, Outcomes.Missed, null),
                new ResidentOutcome("c", SimChannels.Webhook, 39.32, 140.52, false, 1, Outcomes.Outside, 2200),
                new ResidentOutcome("d", SimChannels.SignalR, 39.33, 140.53, false, 0, Outcomes.NotTargeted, null),
                new ResidentOutcome("e", SimChannels.SignalR, 39.34, 140.54, false, 0, Outcomes.Edge, null),
            ],
            Detail.ResidentOutcomes);
    }

    [Fact]
    public void ComputeDetail_CountsDeliveriesInOneSecondBucketsFromTheIssue()
    {
        var series = Detail.DeliveriesPerSecond.Series.ToDictionary(s => s.Channel, s => s.Counts.ToArray());

        Assert.Equal([1, 1, 0], series[SimChannels.SignalR]);
        Assert.Equal([0, 0, 1], series[SimChannels.Webhook]);
        Assert.Equal([1, 1, 1], series[ReportCalculator.Overall]);
        Assert.Equal(1, Detail.DeliveriesPerSecond.BucketSeconds);
    }

    [Fact]
    public void ComputeDetail_ShortRun_AlsoHas100MsBuckets()
    {
        var fine = Detail.DeliveriesPerSecond.Fine!;
        var overall = fine.Series.Single(s => s.Channel == ReportCalculator.Overall).Counts;

        Assert.Equal(0.1, fine.BucketSeconds);
        Assert.Equal(23, overall.Count);
        Assert.Equal([3, 15, 22], overall.Select((n, i) => (n, i)).Where(x => x.n > 0).Select(x => x.i).ToArray());
    }

    [Fact]
    public void CdfPoints_EndAtTheMaximumWithEveryoneAndStayBounded()
    {
        var latencies = Enumerable.Range(1, 100_000).Select(i => (double)i).ToArray();

        var points = ReportCalculator.CdfPoints(latencies);

        Assert.InRange(points.Count, 100, 110);
        Assert.Equal(new CdfPoint(1, 1e-5), points[0]);
        Assert.Equal(new CdfPoint(100_000, 1), points[^1]);
        Assert.Contains(new CdfPoint(99_900, 0.999), points);
        Assert.True(points.Zip(points.Skip(1)).All(p => p.First.Ms <= p.Second.Ms && p.First.Fraction < p.Second.Fraction));
    }

    [Fact]
    public void Compute_GivesP99ByNearestRank()
    {
        var residents = Enumerable.Range(1, 200).Select(i => new ResidentExpectation($"r{i}", SimChannels.SignalR, true)).ToList();
        var receipts = residents.Select((r, i) => new Receipt(r.ExternalId, SimChannels.SignalR, "x", 1, ReportFixtures.At(i + 1))).ToList();

        var (_, overall) = ReportCalculator.Compute(residents, receipts, null, null, ReportFixtures.Issue, Time);

        Assert.Equal(198, overall.P99Ms);
    }
}
