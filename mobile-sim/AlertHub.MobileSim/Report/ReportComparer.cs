using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AlertHub.MobileSim.Report;

/// <summary>One compared figure of one channel.</summary>
/// <param name="Metric">p50Ms, p95Ms, p99Ms, received, missedInside, duplicates, outsideReached.</param>
/// <param name="ChangePercent">Relative change when both sides are known and the previous one is not 0.</param>
/// <param name="Regression">Why this row is a regression, or null when it is not.</param>
internal sealed record ComparisonRow(
    string Channel,
    string Metric,
    double? Previous,
    double? Current,
    double? ChangePercent,
    string? Regression);

/// <param name="PreviousFile">The report compared against.</param>
/// <param name="LikeForLike">Same seed, residents, mix, area and audience: otherwise counts differ by design.</param>
internal sealed record ReportComparison(
    string PreviousFile,
    string PreviousAlertId,
    DateTimeOffset? PreviousStartedAt,
    bool LikeForLike,
    IReadOnlyList<string> Differences,
    IReadOnlyList<ComparisonRow> Rows)
{
    public int Regressions => Rows.Count(r => r.Regression is not null);
}

/// <summary>
/// Compares a run against an earlier report.json. Flags: p95 up by more than 10 %, fewer residents received,
/// any duplicate or anyone reached outside the area (those two are invariants, flagged whatever the previous run did).
/// The exit code stays driven by the invariants alone: timings on a shared 2-core machine are too noisy to fail a run.
/// </summary>
internal static class ReportComparer
{
    public const double P95Tolerance = 0.10;

    public static ReportComparison Compare(SimulationReport previous, SimulationReport current, string previousFile)
    {
        var differences = new List<string>();
        void Differ<T>(string what, T before, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(before, now))
            {
                differences.Add(FormattableString.Invariant($"{what}: {before} → {now}"));
            }
        }

        Differ("seed", previous.Seed, current.Seed);
        Differ("residents", previous.Residents, current.Residents);
        Differ("mix", previous.Run?.Mix, current.Run?.Mix);
        // A fresh hub gives the same area a new id: compare by name.
        Differ("area", AreaName(previous.Area), AreaName(current.Area));
        Differ("audience", string.Join(",", previous.Audience), string.Join(",", current.Audience));

        var rows = new List<ComparisonRow>();
        var before = previous.Channels.Append(previous.Overall).ToDictionary(c => c.Channel, StringComparer.Ordinal);
        foreach (var now in current.Channels.Append(current.Overall))
        {
            var was = before.GetValueOrDefault(now.Channel);
            if (was is null && now.TargetedSim == 0 && now.Received == 0)
            {
                continue;
            }

            rows.Add(Row(now.Channel, "p50Ms", was?.P50Ms, now.P50Ms, null));
            rows.Add(Row(now.Channel, "p95Ms", was?.P95Ms, now.P95Ms,
                (b, n) => b > 0 && n > b * (1 + P95Tolerance) ? FormattableString.Invariant($"p95 up {100 * (n - b) / b:0.#} % (> {100 * P95Tolerance:0} %)") : null));
            rows.Add(Row(now.Channel, "p99Ms", was?.P99Ms, now.P99Ms, null));
            rows.Add(Row(now.Channel, "received", was?.Received, now.Received,
                (b, n) => n < b ? FormattableString.Invariant($"received down by {b - n:0}") : null));
            rows.Add(Row(now.Channel, "missedInside", was?.MissedInside, now.MissedInside, null));
            rows.Add(Invariant(now.Channel, "duplicates", was?.Duplicates, now.Duplicates));
            rows.Add(Invariant(now.Channel, "outsideReached", was?.OutsideReached, now.OutsideReached));
        }

        return new ReportComparison(previousFile, previous.AlertId, previous.Run?.StartedAt, differences.Count == 0, differences, rows);
    }

    private static string AreaName(string area) => Regex.Replace(area, @"\s*\([0-9a-f]{32}\)$", "");

    private static ComparisonRow Row(string channel, string metric, double? before, double? now, Func<double, double, string?>? regression)
    {
        double? change = before is { } b && now is { } n && b != 0 ? Math.Round(100 * (n - b) / b, 1) : null;
        var why = before is { } b2 && now is { } n2 ? regression?.Invoke(b2, n2) : null;
        return new ComparisonRow(channel, metric, before, now, change, why);
    }

    private static ComparisonRow Invariant(string channel, string metric, int? before, int now) =>
        Row(channel, metric, before, now, null) with { Regression = now > 0 ? $"{metric} {now} (must be 0)" : null };

    public static string ToText(ReportComparison comparison)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"compared with {comparison.PreviousFile} (alert {comparison.PreviousAlertId}): {comparison.Regressions} regression(s)");
        if (!comparison.LikeForLike)
        {
            sb.AppendLine(ci, $"  not like for like: {string.Join("; ", comparison.Differences)}");
        }

        foreach (var r in comparison.Rows.Where(r => r.Regression is not null || r.Metric is "p95Ms" && r.Channel == ReportCalculator.Overall))
        {
            sb.AppendLine(ci,
                $"  {(r.Regression is null ? "ok  " : "REGR")} {r.Channel,-9} {r.Metric,-14} {Fmt(r.Previous),10} → {Fmt(r.Current),-10} {(r.ChangePercent is { } p ? p.ToString("+0.#;-0.#;0", ci) + " %" : ""),-9} {r.Regression}");
        }

        return sb.ToString().TrimEnd();
    }

    internal static string Fmt(double? v) => v?.ToString("0.#", CultureInfo.InvariantCulture) ?? "-";
}
