using System.Globalization;

namespace AlertHub.MobileSim.Report.Progress;

/// <summary>
/// One progress line on stderr. On a terminal it redraws in place with \r (at most 10 times a second); when
/// redirected (CI logs, files) it prints a plain line every few seconds instead, so logs stay readable and bounded.
/// </summary>
internal sealed class ProgressBar
{
    private const int BarWidth = 28;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>After a clear, the console logger (which writes on its own thread) gets this long to print its line.</summary>
    private static readonly TimeSpan HoldAfterClear = TimeSpan.FromMilliseconds(200);

    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly TimeProvider _time;
    private readonly TimeSpan _plainInterval;
    private readonly long _started;
    private readonly Lock _lock = new();
    private long _lastDraw;
    private bool _drawn;
    private long _holdUntil;
    private bool _finished;
    private long _done;

    public ProgressBar(TextWriter output, bool interactive, string label, long? total, TimeProvider time, TimeSpan plainInterval)
    {
        _output = output;
        _interactive = interactive;
        Label = label;
        Total = total;
        _time = time;
        _plainInterval = plainInterval;
        _started = time.GetTimestamp();
        _lastDraw = _started;
    }

    public string Label { get; }

    public long? Total { get; private set; }

    public long Done => Interlocked.Read(ref _done);

    public bool Finished => _finished;

    public void Update(long done, long? total = null)
    {
        lock (_lock)
        {
            if (_finished)
            {
                return;
            }

            _done = done;
            Total = total ?? Total;
            var now = _time.GetTimestamp();
            var since = _time.GetElapsedTime(_lastDraw, now);
            var held = _interactive && _holdUntil != 0 && _time.GetElapsedTime(_holdUntil, now) < TimeSpan.Zero;
            if (_interactive ? !held && (since >= RedrawInterval || !_drawn) : since >= _plainInterval)
            {
                Draw(now);
            }
        }
    }

    public void Increment() => Update(Interlocked.Read(ref _done) + 1);

    /// <summary>Ends the bar with a final line (always printed, terminal or not).</summary>
    public void Finish(string? summary = null)
    {
        lock (_lock)
        {
            if (_finished)
            {
                return;
            }

            _finished = true;
            var line = Format(Label, _done, Total, Rate(_time.GetTimestamp()), _time.GetElapsedTime(_started), BarWidth) + (summary is null ? "" : "  " + summary);
            _output.Write(_interactive ? "\r\u001b[2K" + line + "\n" : line + "\n");
            _output.Flush();
        }
    }

    /// <summary>Erases the in-place line so a log line can be printed; updates redraw it after a short hold.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            if (!_interactive || _finished)
            {
                return;
            }

            _holdUntil = _time.GetTimestamp() + (long)(HoldAfterClear.TotalSeconds * _time.TimestampFrequency);
            if (_drawn)
            {
                _output.Write("\r\u001b[2K");
                _output.Flush();
                _drawn = false;
            }
        }
    }

    private void Draw(long now)
    {
        var line = Format(Label, _done, Total, Rate(now), _time.GetElapsedTime(_started, now), BarWidth);
        _output.Write(_interactive ? "\r\u001b[2K" + line : line + "\n");
        _output.Flush();
        _lastDraw = now;
        _drawn = true;
    }

    private double Rate(long now)
    {
        var seconds = _time.GetElapsedTime(_started, now).TotalSeconds;
        return seconds <= 0 ? 0 : _done / seconds;
    }

    /// <summary>"label [#########...........]  42 %  12,345/30,000  1,234/s  10 s"; without a total, no bar.</summary>
    internal static string Format(string label, long done, long? total, double ratePerSecond, TimeSpan elapsed, int width)
    {
        var ci = CultureInfo.InvariantCulture;
        // A rate over the first few milliseconds is noise (one item in 4 µs reads as 250,000/s).
        var rate = elapsed < TimeSpan.FromSeconds(0.5)
            ? string.Create(ci, $"-/s  {elapsed.TotalSeconds:0} s")
            : string.Create(ci, $"{ratePerSecond:N0}/s  {elapsed.TotalSeconds:0} s");
        if (total is not { } t || t <= 0)
        {
            return string.Create(ci, $"{label}  {done:N0}  {rate}");
        }

        var fraction = Math.Clamp((double)done / t, 0, 1);
        var filled = (int)Math.Round(fraction * width);
        return string.Create(ci, $"{label} [{new string('#', filled)}{new string('.', width - filled)}] {fraction * 100,3:0} %  {done:N0}/{t:N0}  {rate}");
    }
}
