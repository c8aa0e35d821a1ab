using AlertHub.MobileSim.Report.Progress;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>Progress bars: in place on a terminal, bounded plain lines otherwise.</summary>
public sealed class ReportProgressTests
{
    [Fact]
    public void Format_ShowsBarPercentCountsAndRate()
    {
        var line = ProgressBar.Format("importing", 250, 1000, 125, TimeSpan.FromSeconds(2), 20);

        Assert.Equal("importing [#####...............]  25 %  250/1,000  125/s  2 s", line);
    }

    [Fact]
    public void Format_WithoutTotal_HasNoBar()
    {
        Assert.Equal("connecting  1,234  617/s  2 s", ProgressBar.Format("connecting", 1234, null, 617, TimeSpan.FromSeconds(2), 20));
    }

    [Fact]
    public void PlainOutput_PrintsAtMostOneLinePerIntervalAndAFinalLine()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var bar = new ProgressBar(output, interactive: false, "waiting", 10_000, time, TimeSpan.FromSeconds(5));

        for (var i = 1; i <= 100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            bar.Update(i * 100);
        }

        bar.Finish("done");

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length); // at 5 s, at 10 s, and the final line
        Assert.DoesNotContain('\r', output.ToString());
        Assert.EndsWith("done", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Interactive_RedrawsInPlaceAndEndsWithANewline()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var bar = new ProgressBar(output, interactive: true, "connecting", 100, time, TimeSpan.FromSeconds(5));

        for (var i = 1; i <= 10; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(150));
            bar.Update(i * 10);
        }

        bar.Finish();

        var text = output.ToString();
        Assert.Equal(11, text.Count(c => c == '\r'));
        Assert.Single(text, c => c == '\n');
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
    }
}
