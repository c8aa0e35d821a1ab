using System.Diagnostics;

namespace AlertHub.Benchmarks;

/// <summary>
/// The stopwatch benchmarks' one measurement: process CPU (and wall time) per call of a step, after a warm-up, printed
/// with the rate one core would sustain. Process CPU includes the JIT's and the GC's background threads, as a hub's does.
/// </summary>
internal static class CpuPerCall
{
    public static void Measure(string what, int count, Action<int> step, int warmUp)
    {
        for (var i = 0; i < warmUp; i++)
        {
            step(i);
        }

        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            step(i);
        }

        wall.Stop();
        process.Refresh();
        var perCallUs = (process.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / count;
        Console.WriteLine($"{what,-26} {perCallUs,8:N1} µs CPU each ({wall.Elapsed.TotalMilliseconds * 1000 / count:N1} µs wall) → {1_000_000 / perCallUs:N0}/s per core");
    }
}
