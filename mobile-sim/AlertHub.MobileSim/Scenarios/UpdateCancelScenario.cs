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

            if (run.Options.RetractAt is { } share)
            {
                // Retract while the first version is still going out: the update follows once a share of it is in, the
                // cancel right after the update; only then does everything settle.
                if (step == 0)
                {
                    await WaitForShareAsync(run, before, (int)Math.Ceiling(share * expected), cancellationToken);
                }

                if (step < 2)
                {
                    continue;
                }

                var (settled, overdue) = await run.WaitAsync(run.Receipts.Count, 0, cancellationToken);
                waitedMs += settled.TotalMilliseconds;
                timedOut |= overdue;
                continue;
            }

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
            Retraction = run.Options.RetractAt is null ? null : CheckRetraction(ours, steps[0].Issued.Version, steps[^1].Issued.Version, steps[^1].IssuedAt),
        };
    }

    /// <summary>Bounded by the run's timeout: waits until <paramref name="count"/> receipts have come in since <paramref name="before"/>.</summary>
    private static async Task WaitForShareAsync(ScenarioRun run, int before, int count, CancellationToken cancellationToken)
    {
        var started = run.Time.GetTimestamp();
        while (run.Receipts.Count - before < count && run.Time.GetElapsedTime(started) < run.Options.Timeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), run.Time, cancellationToken);
        }
    }

    /// <summary>
    /// Per (resident, channel): whoever got an earlier version must get the cancel, after it; nobody who got nothing
    /// earlier may get a cancel.
    /// </summary>
    internal static RetractionReport CheckRetraction(IReadOnlyList<Receipt> ours, int firstVersion, int cancelVersion, long cancelRequestedAt)
    {
        int earlier = 0, cancelled = 0, missing = 0, stray = 0, early = 0, afterRequest = 0;
        foreach (var pair in ours.GroupBy(r => (r.ExternalId, r.Channel)))
        {
            var before = pair.Where(r => r.Version < cancelVersion).ToList();
            var cancel = pair.Where(r => r.Version == cancelVersion).OrderBy(r => r.Timestamp).FirstOrDefault();
            afterRequest += pair.Count(r => r.Version == firstVersion && r.Timestamp > cancelRequestedAt);
            if (before.Count > 0)
            {
                earlier++;
            }

            if (cancel is not null)
            {
                cancelled++;
            }

            if (before.Count > 0 && cancel is null)
            {
                missing++;
            }
            else if (before.Count == 0 && cancel is not null)
            {
                stray++;
            }
            else if (cancel is not null && before.Any(b => b.Timestamp > cancel.Timestamp))
            {
                early++;
            }
        }

        return new RetractionReport(earlier, cancelled, missing, stray, early, afterRequest);
    }
}

/// <summary>update-cancel with --retract-at: did the cancel follow everyone an earlier version reached?</summary>
/// <param name="ReceivedEarlier">(resident, channel) pairs that got the alert or its update.</param>
/// <param name="ReceivedCancel">Pairs that got the cancel.</param>
/// <param name="EarlierWithoutCancel">Got an earlier version, never the cancel (must be 0).</param>
/// <param name="CancelWithoutEarlier">Got a cancel of something they never got (must be 0).</param>
/// <param name="CancelBeforeEarlier">Got the cancel before an earlier version (must be 0).</param>
/// <param name="FirstVersionAfterCancelRequested">First-version messages that arrived after the cancel was requested: what was in flight.</param>
internal sealed record RetractionReport(int ReceivedEarlier, int ReceivedCancel, int EarlierWithoutCancel, int CancelWithoutEarlier, int CancelBeforeEarlier,
    int FirstVersionAfterCancelRequested)
{
    public bool Holds => EarlierWithoutCancel == 0 && CancelWithoutEarlier == 0 && CancelBeforeEarlier == 0;
}
