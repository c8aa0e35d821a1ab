using System.Text.Json.Nodes;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// update-cancel: v1 (Severe), then an update raising it to Extreme, then a cancel, each after the previous version's
/// deliveries settled. The target does not change, so every targeted resident must get v1, v2 and v3 exactly once
/// (a cancel goes exactly where earlier versions went).
/// </summary>
internal static class UpdateCancelScenario
{
    public static async Task<SimulationReport> RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var time = run.Time;
        var expected = run.Expectations.Count(e => e.Expected);
        var steps = new List<(IssuedAlert Issued, string MsgType, long IssuedAt)>(3);
        double waitedMs = 0, issueMs = 0;
        var timedOut = false;

        for (var step = 0; step < 3; step++)
        {
            var before = run.Receipts.Count;
            var at = time.GetTimestamp();
            var issued = step switch
            {
                0 => await run.Api.IssueAlertAsync(SimulationRunner.BuildAlert(run.Target, run.Options.Audience), cancellationToken),
                1 => await run.Api.UpdateAlertAsync(steps[0].Issued.Id, new JsonObject
                {
                    ["severity"] = "Extreme",
                    ["texts"] = new JsonObject
                    {
                        ["ja"] = SimulationRunner.Texts("【訓練】洪水の危険が高まっています（模擬）", "これは mobile-sim による訓練の更新です。", "訓練のため、行動の必要はありません。"),
                        ["ja-x-easy"] = SimulationRunner.Texts("【くんれん】こうずい（こうしん）", "これは くんれん です。", "なにも しなくて だいじょうぶ です。"),
                        ["en"] = SimulationRunner.Texts("[EXERCISE] Flood danger rising (simulated)", "This is an exercise update sent by mobile-sim.", "No action is needed."),
                    },
                }, cancellationToken),
                _ => await run.Api.CancelAlertAsync(steps[0].Issued.Id, cancellationToken),
            };
            issueMs += time.GetElapsedTime(at).TotalMilliseconds;
            var msgType = step switch { 0 => "Alert", 1 => "Update", _ => "Cancel" };
            steps.Add((issued, msgType, at));
            SimLog.AlertIssued(run.Logger, issued.Id, issued.Version, run.Target.Description, issued.Recipients);

            // Settle before the next version, so "superseded" pending work cannot stand in for a missing receipt.
            var (waited, late) = await run.WaitAsync(before, expected, cancellationToken);
            waitedMs += waited.TotalMilliseconds;
            timedOut |= late;
            SimLog.WaitEnded(run.Logger, waited.TotalMilliseconds, run.Receipts.Count - before, late);
        }

        var alertId = steps[0].Issued.Id;
        var all = run.Receipts.Snapshot();
        var ours = all.Where(r => r.AlertId == alertId).ToList();
        var versions = new List<VersionReport>(3);
        foreach (var (issued, msgType, at) in steps)
        {
            var mine = ours.Where(r => r.Version == issued.Version).ToList();
            var (channels, overall) = ReportCalculator.Compute(run.Expectations, mine, issued.Recipients, issued.ByChannel, at, time);
            versions.Add(new VersionReport(issued.Version, msgType, issued.Recipients, overall, channels));
        }

        // Receipts of this alert under a version the scenario never issued would be a hub bug: count them as outside.
        var stray = ours.Count(r => steps.All(s => s.Issued.Version != r.Version));
        var sum = ReportSums.Sum(ReportCalculator.Overall, [.. versions.Select(v => v.Overall)]);
        return run.Template with
        {
            AlertId = alertId,
            AlertVersion = steps[^1].Issued.Version,
            HubRecipients = sum.TargetedHub,
            Channels = ReportSums.SumChannels(versions.Select(v => v.Channels)),
            Overall = sum with { OutsideReached = sum.OutsideReached + stray },
            SignatureFailures = run.Receipts.SignatureFailures,
            UnknownResidentHooks = run.Receipts.UnknownResident,
            MalformedPayloads = run.Receipts.Malformed,
            OtherAlertReceipts = all.Count - ours.Count,
            WaitedMs = waitedMs,
            IssueRequestMs = issueMs,
            TimedOut = timedOut,
            Versions = versions,
        };
    }
}
