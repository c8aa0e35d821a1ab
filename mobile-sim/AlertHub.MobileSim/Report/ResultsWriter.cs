using System.Globalization;
using AlertHub.MobileSim.Report.Charts;

namespace AlertHub.MobileSim.Report;

/// <summary>What went into the results folder.</summary>
/// <param name="PngError">Why PNGs could not be drawn (SVG files were written instead), or null.</param>
internal sealed record ResultsWritten(string Directory, IReadOnlyList<string> Files, string? PngError, bool PngHasText);

/// <summary>
/// Writes a run's results folder: report.json, report.html and one PNG per chart. When SkiaSharp's native library
/// is missing the charts are written as standalone .svg files instead, and the reason is returned.
/// </summary>
internal static class ResultsWriter
{
    public const string JsonFile = "report.json";
    public const string HtmlFile = "report.html";

    /// <summary>results/&lt;yyyyMMdd-HHmmss&gt;-seed&lt;S&gt; (local time, as people read the folder names).</summary>
    public static string DefaultDirectory(DateTimeOffset now, int seed) =>
        Path.Combine("results", now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-seed" + seed.ToString(CultureInfo.InvariantCulture));

    public static async Task<ResultsWritten> WriteAsync(string directory, SimulationReport report, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string> { JsonFile, HtmlFile };
        var charts = ChartBuilder.All(report);
        string? pngError = null;
        var images = new List<(string Name, byte[] Bytes)>();
        try
        {
            images.AddRange(charts.Select(c => (c.Name + ".png", PngRenderer.Render(c))));
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or InvalidOperationException or EntryPointNotFoundException)
        {
            pngError = $"{ex.GetType().Name}: {(ex.InnerException ?? ex).Message}";
            images.Clear();
            images.AddRange(charts.Select(c => (c.Name + ".svg", System.Text.Encoding.UTF8.GetBytes(SvgRenderer.Render(c, standalone: true)))));
        }

        files.AddRange(images.Select(i => i.Name));
        await ReportJson.WriteAsync(Path.Combine(directory, JsonFile), report, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, HtmlFile), HtmlReportWriter.Render(report, files), cancellationToken);
        foreach (var (name, bytes) in images)
        {
            await File.WriteAllBytesAsync(Path.Combine(directory, name), bytes, cancellationToken);
        }

        return new ResultsWritten(directory, files, pngError, pngError is null && PngRenderer.HasText);
    }
}
