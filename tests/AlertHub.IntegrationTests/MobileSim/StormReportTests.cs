using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.MobileSim;

public sealed class StormReportTests
{
    private static StormAlertReport Alert(int index, double? firstMs, int node) =>
        new(index, $"a{index}", "area", "Severe", index * 600, 10, 10, firstMs is null ? 0 : 10, 0, 0, firstMs is null ? 10 : 0, firstMs, null, null, node);

    private static StormReport Storm(params StormAlertReport[] alerts) =>
        new(alerts.Length, 60, 60_000, alerts.Max(a => a.FirstReceiptMs), null, null, new Dictionary<string, double?>(), [], alerts);

    [Fact]
    public void FirstReceipt_TwentyAlertsOverThreeNodes_NearestRankPercentilesAndTheNodesIssuedOn()
    {
        // 100, 200, …, 2000 ms: p50 is the 10th (1000 ms), p95 the 19th (1900 ms).
        var storm = Storm([.. Enumerable.Range(1, 20).Select(i => Alert(i, i * 100.0, (i % 3) + 1))]);

        Assert.Equal((1000.0, 1900.0), storm.FirstReceipt);
        Assert.Equal(3, storm.Nodes);
    }

    [Fact]
    public void FirstReceipt_AnAlertThatReachedNobody_IsLeftOutRatherThanCountedAsFast()
    {
        var storm = Storm(Alert(1, 300, 1), Alert(2, null, 1), Alert(3, 500, 1));

        Assert.Equal((300.0, 500.0), storm.FirstReceipt);
        Assert.Equal(1, storm.Nodes);
    }

    [Fact]
    public void Repeat_TwentyIssuesOverThreeNodes_NearestRankPercentilesOfTheFirstReceipt()
    {
        // 100, 200, …, 2000 ms: p50 is the 10th (1000 ms), p95 the 19th (1900 ms), the worst 2000 ms.
        var repeat = new RepeatReport([.. Enumerable.Range(1, 20).Select(i => new RepeatRound(i, (i % 3) + 1, $"a{i}", 100, i * 100.0, 5_000, 10, 10, 0))]);

        Assert.Equal((1000.0, 1900.0, 2000.0), repeat.FirstReceipt);
        Assert.Contains("p50 1000 ms, p95 1900 ms, worst 2000 ms", repeat.Describe(), StringComparison.Ordinal);
        Assert.Contains("20 issues on 3 node(s)", repeat.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--repeat", "0")]
    [InlineData("--repeat", "51")]
    public void Repeat_OutOfRange_IsRefused(string option, string value) =>
        Assert.Throws<ArgumentException>(() => AlertHub.MobileSim.CommandLine.Parse(["run", option, value]).ToSimulationOptions("key"));

    [Fact]
    public void Repeat_WithAKillOrAnotherScenario_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => AlertHub.MobileSim.CommandLine.Parse(["run", "--repeat", "3", "--scenario", "storm"]).ToSimulationOptions("key"));
        Assert.Throws<ArgumentException>(() =>
            AlertHub.MobileSim.CommandLine.Parse(["run", "--start-hub", "--repeat", "3", "--kill-hub-at", "30"]).ToSimulationOptions("key"));
        Assert.Equal(4, AlertHub.MobileSim.CommandLine.Parse(["run", "--repeat", "4"]).ToSimulationOptions("key").Repeat);
    }
}
