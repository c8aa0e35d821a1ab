using AlertHub.MobileSim.Report;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>--compare: which differences against an earlier report.json are regressions.</summary>
public sealed class ReportComparerTests
{
    private static readonly SimulationReport Baseline = ReportFixtures.Build();

    [Fact]
    public void Compare_SameRun_HasNoRegressions()
    {
        var comparison = ReportComparer.Compare(Baseline, Baseline, "previous/report.json");

        Assert.Equal(0, comparison.Regressions);
        Assert.True(comparison.LikeForLike);
    }

    [Fact]
    public void Compare_P95UpByMoreThanTenPercent_IsARegression()
    {
        var slower = ReportFixtures.Build(latencyScale: 1.2);

        var comparison = ReportComparer.Compare(Baseline, slower, "previous/report.json");

        var row = comparison.Rows.Single(r => r.Channel == ReportCalculator.Overall && r.Metric == "p95Ms");
        Assert.NotNull(row.Regression);
        Assert.InRange(row.ChangePercent!.Value, 15, 25);
    }

    [Fact]
    public void Compare_P95UpByLessThanTenPercent_IsNotARegression()
    {
        var aBitSlower = ReportFixtures.Build(latencyScale: 1.05);

        var comparison = ReportComparer.Compare(Baseline, aBitSlower, "previous/report.json");

        Assert.Equal(0, comparison.Regressions);
        Assert.True(comparison.Rows.Single(r => r.Channel == ReportCalculator.Overall && r.Metric == "p95Ms").ChangePercent > 0);
    }

    [Fact]
    public void Compare_FasterRun_IsNotARegression()
    {
        var faster = ReportFixtures.Build(latencyScale: 0.5);

        Assert.Equal(0, ReportComparer.Compare(Baseline, faster, "previous/report.json").Regressions);
    }

    [Fact]
    public void Compare_FewerReceivedAndAnOutsideReceipt_AreRegressions()
    {
        var worse = Baseline with
        {
            Overall = Baseline.Overall with { Received = Baseline.Overall.Received - 3, OutsideReached = 1 },
        };

        var comparison = ReportComparer.Compare(Baseline, worse, "previous/report.json");

        Assert.Equal(
            ["outsideReached", "received"],
            comparison.Rows.Where(r => r.Regression is not null).Select(r => r.Metric).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("REGR overall", ReportComparer.ToText(comparison), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_DifferentSeed_SaysItIsNotLikeForLike()
    {
        var comparison = ReportComparer.Compare(Baseline, ReportFixtures.Build(seed: 8), "previous/report.json");

        Assert.False(comparison.LikeForLike);
        Assert.Equal(["seed: 7 → 8"], comparison.Differences);
    }

    [Fact]
    public async Task Compare_RendersTheRegressionTableInTheHtml()
    {
        var current = ReportFixtures.Build(latencyScale: 1.2);
        current = current with { Comparison = ReportComparer.Compare(Baseline, current, "previous/report.json") };

        var html = HtmlReportWriter.Render(current, ["report.json"]);

        Assert.Contains("Compared with the previous run", html, StringComparison.Ordinal);
        Assert.Contains("p95 up", html, StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}
