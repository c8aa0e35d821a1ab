using System.Globalization;
using System.Text;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>update-cancel: what each version did (v1 Alert, v2 Update, v3 Cancel).</summary>
internal sealed record VersionReport(int Version, string MsgType, int? HubRecipients, ChannelReport Overall, IReadOnlyList<ChannelReport> Channels);

/// <summary>storm: one of the alerts.</summary>
/// <param name="IssuedAtMs">When it was issued, from the storm's start.</param>
/// <param name="FirstReceiptMs">From its issue to its first receipt anywhere: the wait behind other alerts' fan-outs.</param>
/// <param name="Node">The hub node it was issued on (1-based; 1 without --cluster).</param>
internal sealed record StormAlertReport(
    int Index, string AlertId, string Area, string Severity, double IssuedAtMs, int? HubRecipients, int TargetedSim, int Received,
    int Duplicates, int OutsideReached, int MissedInside, double? FirstReceiptMs, double? P95Ms, double? MaxMs, int Node = 1);

/// <summary>storm: the alerts and the worst wait for a first receipt.</summary>
/// <param name="WaitedOver2s">Indexes of alerts whose first receipt came more than 2 s after their issue.</param>
internal sealed record StormReport(
    int AlertCount, double SpanSeconds, double IssueSpreadMs, double? WorstFirstReceiptMs, string? WorstAlertId, string? WorstSeverity,
    IReadOnlyDictionary<string, double?> WorstFirstReceiptBySeverity, IReadOnlyList<int> WaitedOver2s, IReadOnlyList<StormAlertReport> Alerts)
{
    /// <summary>Issue → first receipt over the alerts that reached anyone: median and 95th percentile.</summary>
    public (double? P50, double? P95) FirstReceipt
    {
        get
        {
            var sorted = Alerts.Where(a => a.FirstReceiptMs is not null).Select(a => a.FirstReceiptMs!.Value).Order().ToList();
            return sorted.Count == 0 ? (null, null) : (Percentile(sorted, 0.50), Percentile(sorted, 0.95));

            // Nearest rank: the smallest value with at least p of the alerts at or below it.
            static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        }
    }

    /// <summary>How many nodes the alerts were issued on (round-robin with --cluster).</summary>
    public int Nodes => Alerts.Select(a => a.Node).Distinct().Count();

    public bool AnyWaitedOver2s => WaitedOver2s.Count > 0;
}

/// <summary>outage: FCM answered 503 + Retry-After from <see cref="StartedAtMs"/> (after the issue) for <see cref="Seconds"/>.</summary>
/// <param name="HitDuringFanOut">Some FCM residents were still waiting when the outage began (it hit the fan-out, not its end).</param>
/// <param name="RecoveryMs">From the end of the outage to the last expected FCM receipt; null if some never came.</param>
internal sealed record OutageReport(
    double Seconds, double RetryAfterSeconds, double StartedAtMs, int FcmExpected, int FcmReceivedBeforeOutage, int FcmReceivedDuringOutage,
    int FcmReceivedAfterOutage, bool HitDuringFanOut, double? RecoveryMs);

/// <summary>Sums of channel reports over several alerts or versions.</summary>
internal static class ReportSums
{
    /// <summary>Counts add up; the latency columns are the worst of the parts (a summary, not a pooled percentile).</summary>
    public static ChannelReport Sum(string channel, IReadOnlyList<ChannelReport> parts) => new(
        channel,
        parts.Any(p => p.TargetedHub is null) ? null : parts.Sum(p => p.TargetedHub!.Value),
        parts.Sum(p => p.TargetedSim),
        parts.Sum(p => p.Received),
        parts.Sum(p => p.Deliveries),
        parts.Sum(p => p.Duplicates),
        parts.Sum(p => p.OutsideReached),
        parts.Sum(p => p.MissedInside),
        parts.Sum(p => p.Borderline),
        parts.Max(p => p.P50Ms),
        parts.Max(p => p.P95Ms),
        parts.Max(p => p.MaxMs));

    /// <summary>Per channel across parts, in the order channels first appear.</summary>
    public static IReadOnlyList<ChannelReport> SumChannels(IEnumerable<IReadOnlyList<ChannelReport>> parts) =>
        parts.SelectMany(p => p).GroupBy(c => c.Channel, StringComparer.Ordinal).Select(g => Sum(g.Key, [.. g])).ToList();
}

/// <summary>The scenario sections of a report as text, appended to the main table.</summary>
internal static class ScenarioPrinter
{
    public static string Describe(SimulationReport report)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"scenario {report.Scenario}, population {report.Population}");
        foreach (var v in report.Versions ?? [])
        {
            var o = v.Overall;
            sb.AppendLine(ci, $"  v{v.Version} {v.MsgType,-6} hub {Num(v.HubRecipients)} sim {o.TargetedSim} received {o.Received} dups {o.Duplicates} outside {o.OutsideReached} missed {o.MissedInside} p95 {Ms(o.P95Ms)} ms");
        }

        if (report.Storm is { } s)
        {
            sb.AppendLine(ci, $"  storm: {s.AlertCount} alerts issued over {s.IssueSpreadMs / 1000:0.0} s (asked {s.SpanSeconds:0} s); worst wait for a first receipt {Ms(s.WorstFirstReceiptMs)} ms ({s.WorstSeverity} {s.WorstAlertId})");
            sb.AppendLine(ci, $"  first receipt p50 {Ms(s.FirstReceipt.P50)} ms, p95 {Ms(s.FirstReceipt.P95)} ms (issued on {s.Nodes} node{(s.Nodes == 1 ? "" : "s")}); worst by severity: {string.Join(", ", s.WorstFirstReceiptBySeverity.Select(kv => $"{kv.Key} {Ms(kv.Value)} ms"))}");
            sb.AppendLine(s.AnyWaitedOver2s
                ? $"  {s.WaitedOver2s.Count} alert(s) waited > 2 s behind other fan-outs: #{string.Join(", #", s.WaitedOver2s.Take(20))}"
                : "  no alert waited > 2 s for its first receipt");
        }

        if (report.Repeat is { } repeat)
        {
            sb.AppendLine(repeat.Describe());
        }

        if (report.Outage is { } x)
        {
            sb.AppendLine(ci, $"  outage: FCM 503 (Retry-After {x.RetryAfterSeconds:0.#} s) for {x.Seconds:0.#} s from {x.StartedAtMs:0} ms after the issue; hit the fan-out: {x.HitDuringFanOut}");
            sb.AppendLine(ci, $"  FCM expected {x.FcmExpected}: before {x.FcmReceivedBeforeOutage}, during {x.FcmReceivedDuringOutage}, after {x.FcmReceivedAfterOutage}; recovery {Ms(x.RecoveryMs)} ms after the outage ended");
        }

        if (report.Retraction is { } r)
        {
            sb.AppendLine(ci, $"  retraction: {r.ReceivedEarlier} pairs got the alert or its update, {r.ReceivedCancel} got the cancel; earlier without cancel {r.EarlierWithoutCancel}, cancel without earlier {r.CancelWithoutEarlier}, cancel before earlier {r.CancelBeforeEarlier}; first-version messages after the cancel was requested {r.FirstVersionAfterCancelRequested}");
            sb.AppendLine(r.Holds ? "  the cancel followed everyone the alert reached" : "  RETRACTION BROKEN");
        }

        foreach (var k in report.HubKills ?? [])
        {
            if (k.Server is not null)
            {
                sb.AppendLine(ci, $"  {k.Server} killed (SIGKILL) at {k.Share:P0} = {k.ReceiptsAtKill} receipts, {k.KilledAtMs:0} ms after the issue; its replacement took writes {k.RestartMs:0} ms after the kill; longest pause in receipts after the kill {Ms(k.LongestPauseMs)} ms (SignalR {Ms(k.LongestSignalRPauseMs)} ms); re-sent {k.Resent} (with another delivery id: {k.ResentWithOtherKey})");
                continue;
            }

            sb.AppendLine(k.Node is null
                ? string.Create(ci, $"  hub killed (SIGKILL) at {k.Share:P0} = {k.ReceiptsAtKill} receipts, {k.KilledAtMs:0} ms after the issue; back in {k.RestartMs:0} ms; re-sent {k.Resent} (with another delivery id: {k.ResentWithOtherKey})")
                : string.Create(ci, $"  {k.Node} killed (SIGKILL) for good at {k.Share:P0} = {k.ReceiptsAtKill} receipts, {k.KilledAtMs:0} ms after the issue; its backlog taken over {k.RestartMs:0} ms after the kill; re-sent {k.Resent} (with another delivery id: {k.ResentWithOtherKey})"));
        }

        return sb.ToString().TrimEnd();
    }

    private static string Num(int? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Ms(double? ms) => ms?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-";
}
