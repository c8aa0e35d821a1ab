using System.Diagnostics.Metrics;
using AlertHub.Server.Features.Staff;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Staff;

public sealed class PasswordHashGateTests
{
    private static PasswordHashGate Gate(int concurrent, int queued) =>
        new(Options.Create(new StaffOptions { MaxConcurrentHashes = concurrent, MaxQueuedHashes = queued }), new AlertHubTelemetry(new TestMeterFactory()));

    [Fact]
    public async Task TryRun_BeyondTheQueue_RefusesAtOnce_AndNeverRunsMoreThanTheBound()
    {
        using var gate = Gate(concurrent: 1, queued: 2);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        // The first hash blocks until released: on a thread of its own, not one the thread pool needs elsewhere.
        var first = Task.Factory.StartNew(() => gate.TryRunAsync(() => { started.Set(); release.Wait(); return 1; }, CancellationToken.None),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));

        var queued = new[] { gate.TryRunAsync(() => 2, CancellationToken.None), gate.TryRunAsync(() => 3, CancellationToken.None) };
        var refused = await gate.TryRunAsync(() => 4, CancellationToken.None);
        Assert.False(refused.Ran);
        Assert.All(queued, t => Assert.False(t.IsCompleted));

        release.Set();
        Assert.Equal((true, 1), await first);
        Assert.Equal([(true, 2), (true, 3)], await Task.WhenAll(queued));
        Assert.Equal(1, gate.PeakConcurrency);
        Assert.Equal(3, gate.Completed);
    }

    [Fact]
    public async Task Run_ManyAtOnce_KeepsToTheBound()
    {
        using var gate = Gate(concurrent: 2, queued: 0);
        var running = 0;
        var peak = 0;
        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => gate.RunAsync(() =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            Thread.Sleep(5);
            Interlocked.Decrement(ref running);
            return 0;
        }, CancellationToken.None))));

        Assert.True(peak <= 2, $"peak {peak}");
        Assert.Equal(peak, gate.PeakConcurrency);
        Assert.Equal(40, gate.Completed);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
