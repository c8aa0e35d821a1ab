using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// storm: <see cref="SimulationOptions.StormAlerts"/> alerts (default 100) spread evenly over
/// <see cref="SimulationOptions.StormSpan"/> (default a minute), cycling over the hub's overlapping demo areas
/// (districts, flood and landslide zones) with seeded mixed severities. Each alert is checked on its own; the
/// headline figure is each alert's wait from issue to its first receipt, since the hub should put a new (and a more
/// severe) alert ahead of another alert's fan-out rather than behind it.
/// </summary>
internal static class StormScenario
{
    public const double SlowFirstReceiptMs = 2000;

    private static readonly string[] Severities = ["Minor", "Moderate", "Severe", "Extreme"];

    public static async Task<SimulationReport> RunAsync(ScenarioRun run, CancellationToken cancellationToken)
    {
        var time = run.Time;
        var options = run.Options;
        var areas = (await run.Api.GetAreasAsync(cancellationToken))
            .Where(a => a.Geometry is not null && a.Kind is "district" or "flood" or "landslide")
            .OrderBy(a => a.Kind, StringComparer.Ordinal).ThenBy(a => a.Name, StringComparer.Ordinal)
            .ToList();
        if (areas.Count == 0)
        {
            throw new HubApiException("storm needs the demo areas on the hub (districts, flood and landslide zones); GET /api/areas has none.");
        }

        var count = Math.Max(1, options.StormAlerts);
        var rng = new Random(options.Seed ^ 0x5707);
        var plan = Enumerable.Range(0, count)
            .Select(i => (Area: areas[i % areas.Count], Severity: Severities[rng.Next(Severities.Length)]))
            .ToList();
        var targets = plan.Select(p => TargetArea.ForHubArea(p.Area, p.Area.Geometry!)).ToList();
        var expectations = targets.Select(run.ExpectationsFor).ToList();
        var expectedTotal = expectations.Sum(e => e.Count(x => x.Expected));

        // With --cluster the alerts are issued on every node in turn: "first receipt from any node".
        var apis = options.Nodes.Count > 1
            ? [.. options.Nodes.Select(n => new HubApiClient(n, options.ApiKey, options.HubHandler))]
            : new List<HubApiClient>();
        try
        {
            return await RunAsync(run, apis, count, plan, targets, expectations, expectedTotal, areas.Count, cancellationToken);
        }
        finally
        {
            foreach (var api in apis)
            {
                api.Dispose();
            }
        }
    }

    private static async Task<SimulationReport> RunAsync(ScenarioRun run, IReadOnlyList<HubApiClient> apis, int count,
        List<(HubArea Area, string Severity)> plan, List<TargetArea> targets, List<List<ResidentExpectation>> expectations, int expectedTotal, int areaCount,
        CancellationToken cancellationToken)
    {
        var time = run.Time;
        var options = run.Options;
        var before = run.Receipts.Count;
        var start = time.GetTimestamp();
        var issued = new List<(IssuedAlert Alert, long At)>(count);
        double issueMs = 0;
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromTicks(options.StormSpan.Ticks * i / count);
            var wait = due - time.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            var body = SimulationRunner.BuildAlert(targets[i], options.Audience, "洪水", plan[i].Severity,
                $"【訓練】嵐 {i + 1}/{count}（模擬）", $"[EXERCISE] Storm {i + 1}/{count} (simulated)");
            var at = time.GetTimestamp();
            var alert = await (apis.Count > 0 ? apis[i % apis.Count] : run.Api).IssueAlertAsync(body, cancellationToken);
            issueMs += time.GetElapsedTime(at).TotalMilliseconds;
            issued.Add((alert, at));
        }

        var spreadMs = time.GetElapsedTime(start).TotalMilliseconds;
        var (waited, timedOut) = await run.WaitAsync(before, expectedTotal, cancellationToken);
        SimLog.WaitEnded(run.Logger, waited.TotalMilliseconds, run.Receipts.Count - before, timedOut);

        var all = run.Receipts.Snapshot();
        var byAlert = all.GroupBy(r => r.AlertId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var perAlert = new List<StormAlertReport>(count);
        var channelParts = new List<IReadOnlyList<ChannelReport>>(count);
        var overallParts = new List<ChannelReport>(count);
        for (var i = 0; i < count; i++)
        {
            var (alert, at) = issued[i];
            var mine = byAlert.GetValueOrDefault(alert.Id) ?? [];
            var (channels, overall) = ReportCalculator.Compute(expectations[i], mine, alert.Recipients, alert.ByChannel, at, time);
            channelParts.Add(channels);
            overallParts.Add(overall);
            double? first = mine.Count == 0 ? null : time.GetElapsedTime(at, mine.Min(r => r.Timestamp)).TotalMilliseconds;
            perAlert.Add(new StormAlertReport(
                i + 1, alert.Id, plan[i].Area.Name, plan[i].Severity, time.GetElapsedTime(start, at).TotalMilliseconds, alert.Recipients,
                overall.TargetedSim, overall.Received, overall.Duplicates, overall.OutsideReached, overall.MissedInside, first, overall.P95Ms, overall.MaxMs,
                apis.Count > 0 ? (i % apis.Count) + 1 : 1));
        }

        var worst = perAlert.Where(a => a.FirstReceiptMs is not null).MaxBy(a => a.FirstReceiptMs);
        var storm = new StormReport(
            count,
            options.StormSpan.TotalSeconds,
            spreadMs,
            worst?.FirstReceiptMs,
            worst?.AlertId,
            worst?.Severity,
            Severities.ToDictionary(s => s, s => perAlert.Where(a => a.Severity == s).Max(a => a.FirstReceiptMs), StringComparer.Ordinal),
            perAlert.Where(a => a.FirstReceiptMs > SlowFirstReceiptMs).Select(a => a.Index).ToList(),
            perAlert);

        var ids = issued.Select(x => x.Alert.Id).ToHashSet(StringComparer.Ordinal);
        var ours = all.Count(r => ids.Contains(r.AlertId));
        return run.Template with
        {
            Area = $"{areaCount} demo areas, {count} alerts",
            AlertId = issued[0].Alert.Id,
            AlertVersion = 1,
            HubRecipients = overallParts.Any(p => p.TargetedHub is null) ? null : overallParts.Sum(p => p.TargetedHub!.Value),
            Channels = ReportSums.SumChannels(channelParts),
            Overall = ReportSums.Sum(ReportCalculator.Overall, overallParts),
            SignatureFailures = run.Receipts.SignatureFailures,
            UnknownResidentHooks = run.Receipts.UnknownResident,
            MalformedPayloads = run.Receipts.Malformed,
            OtherAlertReceipts = all.Count - ours,
            WaitedMs = waited.TotalMilliseconds,
            IssueRequestMs = issueMs,
            TimedOut = timedOut,
            Storm = storm,
        };
    }
}
