using System.Globalization;

namespace AlertHub.MobileSim.Report.Charts;

/// <summary>Builds the report's three charts from a <see cref="SimulationReport"/>'s detail.</summary>
internal static class ChartBuilder
{
    public const string CdfName = "latency-cdf";
    public const string TimelineName = "deliveries-per-second";
    public const string MapName = "recipients-map";

    /// <summary>Most dots on the map; beyond that a deterministic sample (misses and outside first).</summary>
    public const int MaxMapDots = 20_000;

    public const int CdfWidth = 960, CdfHeight = 460;
    public const int TimelineWidth = 960, TimelineHeight = 400;
    public const int MapWidth = 900, MapHeight = 760;

    private const string Axis = "#444444", Grid = "#e4e4e4", Ink = "#222222", Muted = "#666666";

    private static readonly Dictionary<string, string> ChannelColours = new(StringComparer.Ordinal)
    {
        ["signalr"] = "#1f77b4", ["webhook"] = "#ff7f0e", ["line"] = "#06a94d", ["fcm"] = "#d62728",
        ["webpush"] = "#9467bd", ["email"] = "#8c564b", ["mastodon"] = "#e377c2", ["x"] = "#17becf",
        [ReportCalculator.Overall] = "#111111",
    };

    private static readonly string[] SpareColours = ["#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78"];

    public static readonly IReadOnlyDictionary<string, string> OutcomeColours = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Outcomes.NotTargeted] = "#b8b8b8",
        [Outcomes.Received] = "#2e7d32",
        [Outcomes.Edge] = "#1565c0",
        [Outcomes.Missed] = "#ef6c00",
        [Outcomes.Outside] = "#c62828",
    };

    // Drawn in this order, so the rare and important ones end up on top.
    private static readonly (string Outcome, double Radius, string Label)[] Layers =
    [
        (Outcomes.NotTargeted, 1.1, "not targeted"), (Outcomes.Received, 1.3, "received"), (Outcomes.Edge, 2.0, "at the edge"),
        (Outcomes.Missed, 2.6, "missed"), (Outcomes.Outside, 3.2, "reached outside"),
    ];

    public static string ColourOf(string channel, int index) =>
        ChannelColours.TryGetValue(channel, out var c) ? c : SpareColours[index % SpareColours.Length];

    public static IReadOnlyList<ChartScene> All(SimulationReport report) =>
        [LatencyCdf(report), DeliveriesPerSecond(report), RecipientsMap(report)];

    public static ChartScene LatencyCdf(SimulationReport report)
    {
        var scene = new ChartScene(CdfName, "Latency CDF per channel (issue → first receipt)", CdfWidth, CdfHeight);
        var plot = new Plot(70, 44, CdfWidth - 70 - 200, CdfHeight - 44 - 52);
        Title(scene, scene.Title);
        var curves = (report.Detail?.LatencyCdf ?? []).Where(c => c.Points.Count > 0).ToList();
        var maxMs = curves.Count == 0 ? 1000 : curves.Max(c => c.Points[^1].Ms);
        var (xMax, xStep) = NiceScale(Math.Max(maxMs, 1));
        XAxis(scene, plot, xMax, xStep, "latency (ms)");
        YAxis(scene, plot, 1, 0.2, "share of recipients", v => v.ToString("0%", CultureInfo.InvariantCulture));
        if (curves.Count == 0)
        {
            NoData(scene, plot);
        }

        var legend = new List<(string Label, string Colour, bool Dashed)>();
        var i = 0;
        foreach (var curve in curves)
        {
            var overall = curve.Channel == ReportCalculator.Overall;
            var colour = ColourOf(curve.Channel, i++);
            // A step function: the share only rises at each latency.
            var pts = new List<(double, double)> { (plot.X(curve.Points[0].Ms, xMax), plot.Y(0, 1)) };
            var prev = 0.0;
            foreach (var p in curve.Points)
            {
                pts.Add((plot.X(p.Ms, xMax), plot.Y(prev, 1)));
                pts.Add((plot.X(p.Ms, xMax), plot.Y(p.Fraction, 1)));
                prev = p.Fraction;
            }

            scene.Add(new PolylineShape(pts, colour, overall ? 2.5 : 1.8, overall ? 6 : 0));
            legend.Add(($"{curve.Channel} (n={curve.Samples.ToString("N0", CultureInfo.InvariantCulture)})", colour, overall));
        }

        Legend(scene, plot.Right + 16, plot.Top, legend);
        return scene;
    }

    public static ChartScene DeliveriesPerSecond(SimulationReport report)
    {
        var scene = new ChartScene(TimelineName, "Deliveries per second since the issue", TimelineWidth, TimelineHeight);
        var plot = new Plot(70, 44, TimelineWidth - 70 - 200, TimelineHeight - 44 - 52);
        Title(scene, scene.Title);
        var timeline = report.Detail?.DeliveriesPerSecond is { } t ? t.Fine ?? t : null;
        var series = timeline?.Series ?? [];
        var buckets = series.Count == 0 ? 0 : series.Max(s => s.Counts.Count);
        var bucketSeconds = timeline?.BucketSeconds ?? 1;
        var peak = series.Count == 0 ? 0 : series.SelectMany(s => s.Counts).DefaultIfEmpty(0).Max();
        var (xMax, xStep) = NiceScale(Math.Max(1, buckets * bucketSeconds));
        var (yMax, yStep) = NiceScale(Math.Max(1, peak / bucketSeconds));
        XAxis(scene, plot, xMax, xStep, "seconds since the issue");
        YAxis(scene, plot, yMax, yStep, "deliveries / s", v => v.ToString("N0", CultureInfo.InvariantCulture));
        if (buckets == 0)
        {
            NoData(scene, plot);
        }

        var legend = new List<(string, string, bool)>();
        var i = 0;
        foreach (var s in series.OrderBy(s => s.Channel == ReportCalculator.Overall ? 1 : 0))
        {
            var overall = s.Channel == ReportCalculator.Overall;
            var colour = ColourOf(s.Channel, i++);
            var pts = new List<(double, double)>();
            for (var b = 0; b < s.Counts.Count; b++)
            {
                // Steps: each bucket is flat over its second.
                var rate = s.Counts[b] / bucketSeconds;
                pts.Add((plot.X(b * bucketSeconds, xMax), plot.Y(rate, yMax)));
                pts.Add((plot.X((b + 1) * bucketSeconds, xMax), plot.Y(rate, yMax)));
            }

            if (pts.Count == 0)
            {
                continue;
            }

            if (overall)
            {
                var area = new List<(double, double)> { (pts[0].Item1, plot.Bottom) };
                area.AddRange(pts);
                area.Add((pts[^1].Item1, plot.Bottom));
                scene.Add(new PolylineShape(area, colour, 1.5, 0, "#1111111a"));
            }
            else
            {
                scene.Add(new PolylineShape(pts, colour, 1.8));
            }

            legend.Add(($"{s.Channel} (peak {(s.Counts.DefaultIfEmpty(0).Max() / bucketSeconds).ToString("N0", CultureInfo.InvariantCulture)}/s)", colour, false));
        }

        if (bucketSeconds < 1)
        {
            scene.Add(new TextShape(plot.Right, plot.Top - 6, FormattableString.Invariant($"{bucketSeconds * 1000:0} ms buckets (a short run)"), 11, Muted, TextAnchor.End));
        }

        if (timeline is { Overflowed: > 0 })
        {
            scene.Add(new TextShape(plot.Right, plot.Top - 6, $"{timeline.Overflowed} later receipts counted in the last second", 11, Muted, TextAnchor.End));
        }

        Legend(scene, plot.Right + 16, plot.Top, legend);
        return scene;
    }

    public static ChartScene RecipientsMap(SimulationReport report)
    {
        var scene = new ChartScene(MapName, "Recipients at their home place", MapWidth, MapHeight);
        Title(scene, scene.Title);
        var all = (report.Detail?.ResidentOutcomes ?? []).Where(r => r.Lat is not null && r.Lon is not null).ToList();
        var box = new Plot(16, 44, MapWidth - 32, MapHeight - 44 - 70);
        scene.Add(new RectShape(box.Left, box.Top, box.Width, box.Height, "#f7f7f4", "#cccccc"));
        if (all.Count == 0)
        {
            NoData(scene, box);
            return scene;
        }

        var minLat = all.Min(r => r.Lat!.Value);
        var maxLat = all.Max(r => r.Lat!.Value);
        var minLon = all.Min(r => r.Lon!.Value);
        var maxLon = all.Max(r => r.Lon!.Value);
        // Equirectangular with the mid-latitude's cosine: true to shape at city scale.
        var kx = Math.Cos((minLat + maxLat) / 2 * Math.PI / 180);
        var spanX = Math.Max((maxLon - minLon) * kx, 1e-6);
        var spanY = Math.Max(maxLat - minLat, 1e-6);
        var pad = 12.0;
        var scale = Math.Min((box.Width - 2 * pad) / spanX, (box.Height - 2 * pad) / spanY);
        var offX = box.Left + (box.Width - spanX * scale) / 2;
        var offY = box.Top + (box.Height - spanY * scale) / 2;
        (double X, double Y) Project(double lat, double lon) => (offX + (lon - minLon) * kx * scale, offY + (maxLat - lat) * scale);

        var sample = Sample(all, MaxMapDots);
        foreach (var (outcome, radius, _) in Layers)
        {
            foreach (var r in sample.Where(r => r.Outcome == outcome))
            {
                var (x, y) = Project(r.Lat!.Value, r.Lon!.Value);
                scene.Add(new CircleShape(x, y, radius, OutcomeColours[outcome]));
            }
        }

        // Scale bar: a round number of km near a fifth of the box.
        var kmPerPx = 111.32 / scale;
        var km = NiceScale(kmPerPx * box.Width / 5).Step;
        var barPx = km / kmPerPx;
        var barY = box.Bottom - 14;
        scene.Add(new PolylineShape([(box.Right - 16 - barPx, barY), (box.Right - 16, barY)], Ink, 3));
        scene.Add(new TextShape(box.Right - 16 - barPx / 2, barY - 6, km.ToString("0.##", CultureInfo.InvariantCulture) + " km", 11, Ink, TextAnchor.Middle));

        var counts = all.GroupBy(r => r.Outcome).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var x0 = 16.0;
        var ly = box.Bottom + 26;
        foreach (var (outcome, _, label) in Layers)
        {
            var text = $"{label} {counts.GetValueOrDefault(outcome).ToString("N0", CultureInfo.InvariantCulture)}";
            scene.Add(new CircleShape(x0 + 5, ly - 4, 5, OutcomeColours[outcome]));
            scene.Add(new TextShape(x0 + 14, ly, text, 13, Ink));
            x0 += 28 + text.Length * 7.2;
        }

        scene.Add(new TextShape(16, ly + 24,
            sample.Count < all.Count
                ? $"showing {sample.Count.ToString("N0", CultureInfo.InvariantCulture)} of {all.Count.ToString("N0", CultureInfo.InvariantCulture)} residents (all misses and outside first, the rest a fixed sample)"
                : $"all {all.Count.ToString("N0", CultureInfo.InvariantCulture)} registered residents",
            11, Muted));
        scene.Add(new TextShape(box.Right, ly + 24,
            FormattableString.Invariant($"lat {minLat:0.000}–{maxLat:0.000}, lon {minLon:0.000}–{maxLon:0.000}"), 11, Muted, TextAnchor.End));
        return scene;
    }

    /// <summary>
    /// Up to <paramref name="max"/> residents: every miss, outside and edge case first (they are what the map is for),
    /// then the rest by a hash of the external id, so the same run always draws the same dots.
    /// </summary>
    public static IReadOnlyList<ResidentOutcome> Sample(IReadOnlyList<ResidentOutcome> residents, int max)
    {
        if (residents.Count <= max)
        {
            return residents;
        }

        static int Priority(string outcome) => outcome switch
        {
            Outcomes.Outside => 0,
            Outcomes.Missed => 1,
            Outcomes.Edge => 2,
            _ => 3,
        };

        return residents
            .OrderBy(r => Priority(r.Outcome))
            .ThenBy(r => Fnv1a(r.ExternalId))
            .ThenBy(r => r.ExternalId, StringComparer.Ordinal)
            .Take(max)
            .ToList();
    }

    internal static uint Fnv1a(string s)
    {
        var hash = 2166136261u;
        foreach (var ch in s)
        {
            hash = (hash ^ ch) * 16777619u;
        }

        return hash;
    }

    /// <summary>A round axis maximum and step (1, 2 or 5 × 10^k) with about five steps.</summary>
    internal static (double Max, double Step) NiceScale(double max)
    {
        var raw = max / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / magnitude) switch { <= 1 => 1, <= 2 => 2, <= 5 => 5, _ => 10 } * magnitude;
        return (Math.Ceiling(max / step - 1e-9) * step, step);
    }

    private static void Title(ChartScene scene, string title)
    {
        scene.Add(new RectShape(0, 0, scene.Width, scene.Height, "#ffffff"));
        scene.Add(new TextShape(16, 26, title, 16, Ink, Bold: true));
    }

    private static void NoData(ChartScene scene, Plot plot) =>
        scene.Add(new TextShape(plot.Left + plot.Width / 2, plot.Top + plot.Height / 2, "no receipts", 14, Muted, TextAnchor.Middle));

    private static void XAxis(ChartScene scene, Plot plot, double max, double step, string label)
    {
        for (var v = 0.0; v <= max + step / 2; v += step)
        {
            var x = plot.X(v, max);
            scene.Add(new PolylineShape([(x, plot.Top), (x, plot.Bottom)], Grid, 1));
            scene.Add(new TextShape(x, plot.Bottom + 16, v.ToString(step < 1 ? "0.##" : "N0", CultureInfo.InvariantCulture), 11, Muted, TextAnchor.Middle));
        }

        scene.Add(new PolylineShape([(plot.Left, plot.Bottom), (plot.Right, plot.Bottom)], Axis, 1));
        scene.Add(new TextShape(plot.Left + plot.Width / 2, plot.Bottom + 38, label, 12, Ink, TextAnchor.Middle));
    }

    private static void YAxis(ChartScene scene, Plot plot, double max, double step, string label, Func<double, string> format)
    {
        for (var v = 0.0; v <= max + step / 2; v += step)
        {
            var y = plot.Y(v, max);
            scene.Add(new PolylineShape([(plot.Left, y), (plot.Right, y)], Grid, 1));
            scene.Add(new TextShape(plot.Left - 6, y + 4, format(v), 11, Muted, TextAnchor.End));
        }

        scene.Add(new PolylineShape([(plot.Left, plot.Top), (plot.Left, plot.Bottom)], Axis, 1));
        scene.Add(new TextShape(18, plot.Top + plot.Height / 2, label, 12, Ink, TextAnchor.Middle, Rotate: -90));
    }

    private static void Legend(ChartScene scene, double x, double y, IReadOnlyList<(string Label, string Colour, bool Dashed)> items)
    {
        for (var i = 0; i < items.Count; i++)
        {
            var ly = y + 8 + i * 20;
            scene.Add(new PolylineShape([(x, ly), (x + 22, ly)], items[i].Colour, items[i].Dashed ? 2.5 : 2.5, items[i].Dashed ? 5 : 0));
            scene.Add(new TextShape(x + 28, ly + 4, items[i].Label, 12, Ink));
        }
    }

    /// <summary>The plotting rectangle and value → pixel mapping (values start at 0).</summary>
    private readonly record struct Plot(double Left, double Top, double Width, double Height)
    {
        public double Right => Left + Width;

        public double Bottom => Top + Height;

        public double X(double value, double max) => Left + Math.Clamp(value / max, 0, 1) * Width;

        public double Y(double value, double max) => Bottom - Math.Clamp(value / max, 0, 1) * Height;
    }
}
