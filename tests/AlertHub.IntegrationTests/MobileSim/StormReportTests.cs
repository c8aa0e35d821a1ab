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
}
