using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>A run's pass/fail rule: a kill may re-send what was in flight, with the same delivery id; nothing else twice.</summary>
public sealed class InvariantTests
{
    [Fact]
    public void Invariants_DuplicatesOnlyFromAKillWithTheSameDeliveryId_Hold()
    {
        var report = WithDuplicates(8) with { HubKills = [new HubKillReport(0.3, 100, 900, 6000, Resent: 8, ResentWithOtherKey: 0, Node: "node-2")] };

        Assert.True(report.InvariantsHold);
        Assert.Equal(8, report.ResentAfterKills);
    }

    [Fact]
    public void Invariants_AKillReSendWithAnotherDeliveryId_IsBroken()
    {
        var report = WithDuplicates(8) with { HubKills = [new HubKillReport(0.3, 100, 900, 6000, Resent: 8, ResentWithOtherKey: 1)] };

        Assert.False(report.InvariantsHold);
    }

    [Fact]
    public void Invariants_MoreDuplicatesThanTheKillsReSent_IsBroken()
    {
        var report = WithDuplicates(9) with { HubKills = [new HubKillReport(0.3, 100, 900, 6000, Resent: 8, ResentWithOtherKey: 0)] };

        Assert.False(report.InvariantsHold);
    }

    [Fact]
    public void Invariants_DuplicatesWithoutAnyKill_IsBroken()
    {
        Assert.False(WithDuplicates(1).InvariantsHold);
        Assert.True(WithDuplicates(0).InvariantsHold);
    }

    private static AlertHub.MobileSim.Report.SimulationReport WithDuplicates(int duplicates)
    {
        var report = ReportFixtures.Build();
        return report with { Overall = report.Overall with { Duplicates = duplicates } };
    }
}
