using System.Globalization;
using System.Net;
using System.Text;
using AlertHub.MobileSim.Report.Charts;

namespace AlertHub.MobileSim.Report;

/// <summary>
/// report.html: one self-contained page (inline CSS and SVG, no scripts, no external references) that can be
/// mailed or attached to an issue as is.
/// </summary>
internal static class HtmlReportWriter
{
    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans JP","Hiragino Sans",sans-serif;margin:24px auto;max-width:1000px;color:#222;line-height:1.4}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin:12px 0}
        .ok{background:#e6f4ea;color:#1e5e2c;border:1px solid #a8d5b5}.bad{background:#fdecea;color:#8a1c12;border:1px solid #f1aaa3}
        .warn{background:#fff4e0;color:#7a4a00;border:1px solid #f3cf8f}
        dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0;font-size:14px}dl.meta dt{color:#666}dl.meta dd{margin:0}
        table{border-collapse:collapse;font-size:13px;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
        th{background:#f5f5f5;font-weight:600}td:first-child,th:first-child{text-align:left}tr.overall td{font-weight:600;border-top:2px solid #ccc}
        td.broken{background:#fdecea;color:#8a1c12;font-weight:700}td.miss{background:#fff4e0;color:#7a4a00}td.good{color:#1e5e2c}
        svg.chart{max-width:100%;height:auto;display:block;margin:8px 0;border:1px solid #eee}
        .note{color:#666;font-size:12px}code{font-size:12px}
        """;

    public static string Render(SimulationReport report, IReadOnlyList<string> files)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append(ci, $"<title>mobile-sim report — seed {report.Seed}, {report.Residents:N0} residents</title>");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>").Append(Css).Append("</style></head><body>\n");

        sb.Append(ci, $"<h1>mobile-sim load test — seed {report.Seed}</h1>");
        sb.Append(report.InvariantsHold
            ? report.ResentAfterKills > 0
                ? string.Create(ci, $"<div class=\"verdict ok\">Invariants hold: nobody outside the area reached; the only duplicates are {report.ResentAfterKills:N0} re-sends of work in flight at a kill, each with its first copy's delivery id.</div>")
                : "<div class=\"verdict ok\">Invariants hold: nobody outside the area reached, nobody reached twice.</div>"
            : $"<div class=\"verdict bad\">Invariants broken: {report.Overall.OutsideReached:N0} reached outside the area, {report.Overall.Duplicates:N0} duplicates.</div>");
        if (report.Overall.MissedInside > 0 || report.TimedOut)
        {
            sb.Append(ci, $"<div class=\"verdict warn\">{report.Overall.MissedInside:N0} expected residents received nothing{(report.TimedOut ? "; the wait timed out" : "")}.</div>");
        }

        if (report.InboxCatchUp is { WithoutPush: > 0 } inbox)
        {
            sb.Append(ci, $"<p class=\"note\">Of {inbox.WithoutPush:N0} SignalR residents without the push, {inbox.ReadInInbox:N0} read the alert in their inbox after reconnecting");
            sb.Append(inbox.P50Ms is { } p50 ? string.Create(ci, $" (p50 {p50:N0} ms, last {inbox.MaxMs:N0} ms after the issue)") : "");
            sb.Append(ci, $"; {inbox.ReadsFailed:N0} inbox reads failed.</p>");
        }

        Header(sb, report);
        ChannelTable(sb, report);
        if (report.Comparison is { } comparison)
        {
            ComparisonTable(sb, comparison);
        }

        sb.Append("<h2>Latency</h2>").Append(SvgRenderer.Render(ChartBuilder.LatencyCdf(report)));
        sb.Append("<h2>Throughput</h2>").Append(SvgRenderer.Render(ChartBuilder.DeliveriesPerSecond(report)));
        sb.Append("<h2>Map</h2>").Append(SvgRenderer.Render(ChartBuilder.RecipientsMap(report)));
        sb.Append("<p class=\"note\">Dots are home places. Green: expected and received; orange: expected, nothing arrived; red: reached although outside the area or audience; grey: not targeted; blue: within the tolerance of a circle's edge.</p>");

        sb.Append("<h2>Files</h2><p class=\"note\">In this folder: ")
            .Append(string.Join(", ", files.Select(f => $"<code>{E(f)}</code>")))
            .Append(". report.json holds every figure above plus one line per resident.</p>");
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, SimulationReport r)
    {
        var ci = CultureInfo.InvariantCulture;
        var rows = new List<(string, string)>
        {
            ("started", r.Run?.StartedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'zzz", ci) ?? "-"),
            ("seed", r.Seed.ToString(ci)),
            ("store", r.Run?.Engine is { } engine ? engine + (r.Run.StoreActivity is { } activity ? "; the hub's database: " + activity : "") : "-"),
            ("residents", string.Create(ci, $"{r.Residents:N0} ({r.ResidentsOutsideCity:N0} placed outside the city); imported {r.Imported:N0}, rejected {r.Rejected:N0}")),
            ("mix", r.Run?.Mix ?? "-"),
            ("area", r.Area),
            ("audience", r.Audience.Count == 0 ? "everyone" : "any of " + string.Join(", ", r.Audience)),
            ("alert", string.Create(ci, $"{r.AlertId} v{r.AlertVersion}{(r.Run?.ViaFeed is { } feed ? " via " + feed : "")}; hub targeted {(r.HubRecipients?.ToString("N0", ci) ?? "-")}")),
            ("hub accepted in", string.Create(ci, $"{r.IssueRequestMs:N0} ms (targeting + outbox write)")),
            ("waited", string.Create(ci, $"{r.WaitedMs / 1000:0.0} s{(r.TimedOut ? " (timed out)" : "")}")),
            ("SignalR", string.Create(ci, $"{r.SignalRConnected:N0} / {r.SignalRClients:N0} connected, {r.SignalRFailed:N0} failed")),
        };
        if (r.Run is { HubCpuSeconds: { } cpu })
        {
            rows.Add(("hub process", string.Create(ci, $"CPU {cpu:0.0} s, peak working set {r.Run.HubPeakMemoryMiB:0} MiB{(r.Run.HubBuild is { } build ? "; " + build : "")}")));
        }

        rows.Add(("webhooks", string.Create(ci, $"{r.SignatureFailures} signature failures, {r.UnknownResidentHooks} unknown residents, {r.MalformedPayloads} malformed, {r.OtherAlertReceipts} receipts of other alerts")));
        sb.Append("<dl class=\"meta\">");
        foreach (var (k, v) in rows)
        {
            sb.Append("<dt>").Append(E(k)).Append("</dt><dd>").Append(E(v)).Append("</dd>");
        }

        sb.Append("</dl>\n");
    }

    private static void ChannelTable(StringBuilder sb, SimulationReport r)
    {
        sb.Append("<h2>Per channel</h2><table><thead><tr><th>channel</th><th>targeted (hub)</th><th>targeted (sim)</th><th>received</th><th>deliveries</th><th>duplicates</th><th>outside</th><th>missed</th><th>edge</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>per s</th></tr></thead><tbody>");
        foreach (var c in r.Channels.Where(c => c.TargetedSim > 0 || c.Deliveries > 0 || c.TargetedHub > 0).Append(r.Overall))
        {
            sb.Append(c.Channel == ReportCalculator.Overall ? "<tr class=\"overall\">" : "<tr>");
            Cell(sb, c.Channel);
            Cell(sb, N(c.TargetedHub), c.TargetedHub is { } h && h != c.TargetedSim + c.Borderline && h != c.TargetedSim ? "miss" : null);
            Cell(sb, N(c.TargetedSim));
            Cell(sb, N(c.Received), c.Received >= c.TargetedSim && c.TargetedSim > 0 ? "good" : null);
            Cell(sb, N(c.Deliveries));
            Cell(sb, N(c.Duplicates), c.Duplicates > 0 ? "broken" : "good");
            Cell(sb, N(c.OutsideReached), c.OutsideReached > 0 ? "broken" : "good");
            Cell(sb, N(c.MissedInside), c.MissedInside > 0 ? "miss" : null);
            Cell(sb, N(c.Borderline));
            Cell(sb, Ms(c.P50Ms));
            Cell(sb, Ms(c.P95Ms));
            Cell(sb, Ms(c.P99Ms));
            Cell(sb, Ms(c.MaxMs));
            Cell(sb, c.PerSecond?.ToString("N0", CultureInfo.InvariantCulture) ?? "–");
            sb.Append("</tr>");
        }

        sb.Append("</tbody></table><p class=\"note\">Outside and duplicates must be 0 (red when not); missed is 0 when the hub and providers are healthy (amber when not). Latency: issue → first receipt per resident; per s: deliveries ÷ issue → last receipt.</p>\n");
    }

    private static void ComparisonTable(StringBuilder sb, ReportComparison c)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<h2>Compared with the previous run</h2><p>{E(c.PreviousFile)} (alert {E(c.PreviousAlertId)}): ");
        sb.Append(c.Regressions == 0 ? "<strong>no regressions</strong>." : $"<strong>{c.Regressions} regression(s)</strong>.");
        if (!c.LikeForLike)
        {
            sb.Append(" <span class=\"note\">Not like for like — ").Append(E(string.Join("; ", c.Differences))).Append(".</span>");
        }

        sb.Append("</p><table><thead><tr><th>channel</th><th>metric</th><th>previous</th><th>now</th><th>change</th><th>regression</th></tr></thead><tbody>");
        foreach (var row in c.Rows)
        {
            sb.Append("<tr>");
            Cell(sb, row.Channel);
            Cell(sb, row.Metric);
            Cell(sb, ReportComparer.Fmt(row.Previous));
            Cell(sb, ReportComparer.Fmt(row.Current), row.Regression is null ? null : "broken");
            Cell(sb, row.ChangePercent?.ToString("+0.#;-0.#;0", CultureInfo.InvariantCulture) + (row.ChangePercent is null ? "" : " %"));
            Cell(sb, row.Regression ?? "", row.Regression is null ? null : "broken");
            sb.Append("</tr>");
        }

        sb.Append("</tbody></table><p class=\"note\">Flagged: p95 up more than 10 %, received down, any duplicate or outside. The exit code still follows the invariants only.</p>\n");
    }

    private static void Cell(StringBuilder sb, string text, string? cls = null) =>
        sb.Append(cls is null ? "<td>" : $"<td class=\"{cls}\">").Append(E(text)).Append("</td>");

    private static string N(int? n) => n?.ToString("N0", CultureInfo.InvariantCulture) ?? "-";

    private static string Ms(double? ms) => ms?.ToString("N1", CultureInfo.InvariantCulture) ?? "-";

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
