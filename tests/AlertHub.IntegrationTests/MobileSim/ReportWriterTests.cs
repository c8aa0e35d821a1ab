using System.Buffers.Binary;
using System.Text.RegularExpressions;
using AlertHub.MobileSim.Report;
using AlertHub.MobileSim.Report.Charts;
using SkiaSharp;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>The results folder: report.json, a self-contained report.html, and PNG charts that really render.</summary>
public sealed class ReportWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mobile-sim-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task ResultsWriter_WritesJsonHtmlAndThreePngs()
    {
        var written = await ResultsWriter.WriteAsync(_dir, ReportFixtures.Build(), CancellationToken.None);

        Assert.Null(written.PngError);
        Assert.Equal(
            ["deliveries-per-second.png", "latency-cdf.png", "recipients-map.png", "report.html", "report.json"],
            Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task ReportJson_RoundTripsToTheSameDocument()
    {
        var report = ReportFixtures.Build();
        await ResultsWriter.WriteAsync(_dir, report, CancellationToken.None);
        var path = Path.Combine(_dir, ResultsWriter.JsonFile);

        var read = await ReportJson.ReadAsync(path, CancellationToken.None);

        Assert.Equal(await File.ReadAllTextAsync(path), ReportJson.Serialize(read));
        Assert.Equal(report.Overall, read.Overall);
        Assert.Equal(report.Channels, read.Channels);
        Assert.Equal(report.Detail!.ResidentOutcomes, read.Detail!.ResidentOutcomes);
        Assert.Equal(report.Run, read.Run);
    }

    [Fact]
    public async Task ReportJson_KeepsStableFieldNamesAndOneLinePerResident()
    {
        var report = ReportFixtures.Build(count: 30);
        await ResultsWriter.WriteAsync(_dir, report, CancellationToken.None);

        var text = await File.ReadAllTextAsync(Path.Combine(_dir, ResultsWriter.JsonFile));

        foreach (var field in new[] { "\"seed\"", "\"overall\"", "\"p99Ms\"", "\"latencyCdf\"", "\"deliveriesPerSecond\"", "\"residentOutcomes\"", "\"hubCpuSeconds\"", "\"invariantsHold\"" })
        {
            Assert.Contains(field, text, StringComparison.Ordinal);
        }

        var residentLines = text.Split('\n').Where(l => l.TrimStart().StartsWith("{\"externalId\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(30, residentLines.Count);
    }

    [Fact]
    public async Task ReportHtml_IsOneFileWithTheThreeChartsAndNoExternalReferences()
    {
        await ResultsWriter.WriteAsync(_dir, ReportFixtures.Build(), CancellationToken.None);

        var html = await File.ReadAllTextAsync(Path.Combine(_dir, ResultsWriter.HtmlFile));

        Assert.Equal(3, Regex.Count(html, "<svg "));
        foreach (var id in new[] { ChartBuilder.CdfName, ChartBuilder.TimelineName, ChartBuilder.MapName })
        {
            Assert.Contains($"<svg id=\"{id}\"", html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Empty(Regex.Matches(html, @"(src|href)\s*=", RegexOptions.IgnoreCase));
        Assert.Contains("Invariants hold", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportHtml_HighlightsABrokenInvariant()
    {
        await ResultsWriter.WriteAsync(_dir, ReportFixtures.Build(breakInvariant: true), CancellationToken.None);

        var html = await File.ReadAllTextAsync(Path.Combine(_dir, ResultsWriter.HtmlFile));

        Assert.Contains("Invariants broken: 1 reached outside", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"broken\">1</td>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("latency-cdf.png", ChartBuilder.CdfWidth, ChartBuilder.CdfHeight)]
    [InlineData("deliveries-per-second.png", ChartBuilder.TimelineWidth, ChartBuilder.TimelineHeight)]
    [InlineData("recipients-map.png", ChartBuilder.MapWidth, ChartBuilder.MapHeight)]
    public async Task Png_IsAValidPngOfTheChartSizeWithSomethingDrawn(string file, int width, int height)
    {
        await ResultsWriter.WriteAsync(_dir, ReportFixtures.Build(), CancellationToken.None);

        var bytes = await File.ReadAllBytesAsync(Path.Combine(_dir, file));

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        using var bitmap = SKBitmap.Decode(bytes);
        var coloured = 0;
        for (var y = 0; y < bitmap.Height; y += 4)
        {
            for (var x = 0; x < bitmap.Width; x += 4)
            {
                var p = bitmap.GetPixel(x, y);
                if (p.Red != p.Green || p.Green != p.Blue)
                {
                    coloured++;
                }
            }
        }

        Assert.True(coloured > 50, $"only {coloured} coloured sample pixels: the chart did not render");
    }

    [Fact]
    public void Map_SamplesAtMost20000DotsDeterministicallyAndKeepsEveryMiss()
    {
        var report = ReportFixtures.Build(count: 25_000);
        var residents = report.Detail!.ResidentOutcomes;

        var first = ChartBuilder.Sample(residents, ChartBuilder.MaxMapDots);
        var second = ChartBuilder.Sample(residents.Reverse().ToList(), ChartBuilder.MaxMapDots);

        Assert.Equal(ChartBuilder.MaxMapDots, first.Count);
        Assert.Equal(first.Select(r => r.ExternalId).Order(StringComparer.Ordinal), second.Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal(residents.Count(r => r.Outcome == Outcomes.Missed), first.Count(r => r.Outcome == Outcomes.Missed));
        Assert.Equal(ChartBuilder.MaxMapDots, ChartBuilder.RecipientsMap(report).Shapes.OfType<CircleShape>().Count() - 5);
    }
}
