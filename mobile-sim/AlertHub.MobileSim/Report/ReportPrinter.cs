using System.Globalization;
using System.Text;

namespace AlertHub.MobileSim.Report;

internal static class ReportPrinter
{
    public static string ToJson(SimulationReport report) => ReportJson.Serialize(report);

    public static string ToTable(SimulationReport report)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine(ci, $"mobile-sim  seed {report.Seed}  residents {report.Residents} ({report.ResidentsOutsideCity} placed outside the city)");
        if (report.Run?.Engine is { } engine)
        {
            sb.AppendLine(ci, $"store: {engine}{(report.Run.StoreActivity is { } activity ? "; the hub's database: " + activity : "")}");
        }

        if (report.Run?.HubBuild is { } build)
        {
            sb.AppendLine(ci, $"hub: {build}");
        }

        sb.AppendLine(ci, $"imported {report.Imported}, rejected {report.Rejected}; SignalR {report.SignalRConnected}/{report.SignalRClients} connected ({report.SignalRFailed} failed)");
        foreach (var sample in report.RejectionSamples)
        {
            sb.AppendLine(ci, $"  rejection: {sample}");
        }

        sb.AppendLine(ci, $"alert {report.AlertId} v{report.AlertVersion} → {report.Area}; audience: {(report.Audience.Count == 0 ? "everyone" : "any of " + string.Join(",", report.Audience))}");
        sb.AppendLine(ci, $"hub accepted the alert in {report.IssueRequestMs:0} ms (targeting + outbox write); waited {report.WaitedMs:0} ms{(report.TimedOut ? " (timed out)" : "")}");
        if (report.HubTimings is { } t)
        {
            sb.AppendLine(ci, $"hub time split: targeting {t.TargetingMs:0.0} ms, outbox write {t.OutboxWriteMs:0} ms; over {t.Batches} batches: claim {t.ClaimMs:0} ms, render {t.RenderMs:0} ms, provider {t.ProviderMs:0} ms, record {t.RecordMs:0} ms (summed per channel; channels run in parallel)");
            if (t.QueuedInFullMs is { } queued)
            {
                sb.AppendLine(ci, $"outbox queued in full {queued:0} ms after the issue");
            }
        }

        if (report.Overall.FirstMs is { } first)
        {
            sb.AppendLine(ci, $"first receipt {first:0} ms after the issue request was sent");
        }
        sb.AppendLine();
        // "per s" = deliveries ÷ time from issue to the channel's last receipt.
        sb.AppendLine("channel   targeted(hub) targeted(sim) received deliveries dups outside missed edge    p50ms    p95ms    p99ms    maxms    per s");
        foreach (var c in report.Channels.Append(report.Overall))
        {
            sb.AppendLine(ci,
                $"{c.Channel,-9} {Num(c.TargetedHub),13} {c.TargetedSim,13} {c.Received,8} {c.Deliveries,10} {c.Duplicates,4} {c.OutsideReached,7} {c.MissedInside,6} {c.Borderline,4} {Ms(c.P50Ms),8} {Ms(c.P95Ms),8} {Ms(c.P99Ms),8} {Ms(c.MaxMs),8} {Rate(c.PerSecond),8}");
        }

        if (report.InboxCatchUp is { } inbox)
        {
            var when = inbox.P50Ms is { } p50 ? string.Create(ci, $" (p50 {p50:0} ms, last {inbox.MaxMs:0} ms after the issue)") : "";
            sb.AppendLine(ci, $"SignalR residents without the push: {inbox.WithoutPush}; read it in their inbox after reconnecting: {inbox.ReadInInbox}{when}; inbox reads failed: {inbox.ReadsFailed}");
        }

        sb.AppendLine();
        sb.AppendLine(ci, $"webhook signature failures {report.SignatureFailures}, unknown residents {report.UnknownResidentHooks}, malformed payloads {report.MalformedPayloads}, receipts of other alerts {report.OtherAlertReceipts}");
        sb.AppendLine(Scenarios.ScenarioPrinter.Describe(report));
        sb.AppendLine(report.InvariantsHold
            ? report.ResentAfterKills > 0
                ? $"INVARIANTS HOLD: nobody outside the area reached; the only duplicates are {report.ResentAfterKills} re-sends of work in flight at a kill, each with its first copy's delivery id."
                : "INVARIANTS HOLD: nobody outside the area reached, no duplicates."
            : $"INVARIANTS BROKEN: {report.Overall.OutsideReached} reached outside the area, {report.Overall.Duplicates} duplicates ({report.ResentAfterKills} of them re-sends after a kill, {(report.HubKills ?? []).Sum(k => k.ResentWithOtherKey)} with another delivery id).");
        return sb.ToString();
    }

    private static string Num(int? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Rate(double? perSecond) => perSecond?.ToString("0", CultureInfo.InvariantCulture) ?? "-";

    private static string Ms(double? ms) => ms?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-";
}
