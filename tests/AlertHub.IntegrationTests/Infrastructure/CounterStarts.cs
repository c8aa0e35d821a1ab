using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>
/// When one hub's counter was added to, for one tag value, as the hub itself saw it (a <see cref="MeterListener"/> in
/// this process, limited to that hub's meter factory so hubs of tests running alongside are not counted). Used to time
/// what the hub started rather than when it arrived at a peer, which adds the network's and the peer's jitter.
/// </summary>
public sealed class CounterStarts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<long> _timestamps = [];

    public CounterStarts(IServiceProvider hubServices, string instrument, string tag, string value)
    {
        var factory = hubServices.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (i, listener) =>
        {
            if (i.Name == instrument && ReferenceEquals(i.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == tag && Equals(t.Value, value))
                {
                    var now = Stopwatch.GetTimestamp();
                    lock (_timestamps)
                    {
                        _timestamps.Add(now);
                    }
                }
            }
        });
        _listener.Start();
    }

    public int Count
    {
        get
        {
            lock (_timestamps)
            {
                return _timestamps.Count;
            }
        }
    }

    /// <summary>The most starts within any one second (sliding window).</summary>
    public int MaxInAnySecond()
    {
        var starts = Sorted();
        var best = 0;
        for (int i = 0, j = 0; i < starts.Length; i++)
        {
            while (starts[i] - starts[j] >= Stopwatch.Frequency)
            {
                j++;
            }

            best = Math.Max(best, i - j + 1);
        }

        return best;
    }

    /// <summary>Starts per second from the first to the last.</summary>
    public double Rate()
    {
        var starts = Sorted();
        return starts.Length < 2 ? starts.Length : (starts.Length - 1) / ((double)(starts[^1] - starts[0]) / Stopwatch.Frequency);
    }

    private long[] Sorted()
    {
        lock (_timestamps)
        {
            return [.. _timestamps.Order()];
        }
    }

    public void Dispose() => _listener.Dispose();
}
