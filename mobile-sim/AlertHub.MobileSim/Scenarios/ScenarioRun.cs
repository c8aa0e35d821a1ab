using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>What a multi-step scenario gets from the runner once everyone is registered and connected.</summary>
/// <param name="Expectations">Who the default target (and audience) should reach, by the sim's own check.</param>
/// <param name="Registered">The residents the hub accepted.</param>
/// <param name="Template">The report with the run's set-up filled in; scenarios fill in the rest.</param>
internal sealed record ScenarioRun(
    SimulationOptions Options,
    HubApiClient Api,
    ReceiptLog Receipts,
    TimeProvider Time,
    ILogger Logger,
    TargetArea Target,
    IReadOnlyList<ResidentExpectation> Expectations,
    IReadOnlyList<SimResident> Registered,
    SimulationReport Template)
{
    /// <summary>Expectations for another target with the run's audience.</summary>
    public List<ResidentExpectation> ExpectationsFor(TargetArea target) =>
        Registered.Select(r =>
        {
            var placement = target.Locate(r);
            var matches = r.HasAnyHouseholdTag(Options.Audience);
            return new ResidentExpectation(r.ExternalId, r.Channel, matches && placement == Placement.Inside, matches && placement == Placement.Edge);
        }).ToList();

    /// <summary>Waits until <paramref name="expected"/> more receipts than <paramref name="before"/> are in and quiet.</summary>
    public Task<(TimeSpan Waited, bool TimedOut)> WaitAsync(int before, int expected, CancellationToken cancellationToken) =>
        new QuiescenceWaiter(Time, Options.QuietPeriod, Options.Timeout).WaitAsync(() => Receipts.Count - before, expected, cancellationToken);
}
