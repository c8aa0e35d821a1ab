using AlertHub.Server.Features.Delivery;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Delivery;

/// <summary>A retry due before the worker's next poll wakes the worker when it falls due (one timer at a time).</summary>
public sealed class RetryWakeTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero));
    private int _wakes;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The wake-up runs as the timer's continuation: give it a moment on a busy machine.</summary>
    private void AssertWakes(int expected)
    {
        SpinWait.SpinUntil(() => Volatile.Read(ref _wakes) >= expected, TimeSpan.FromSeconds(5));
        Assert.Equal(expected, Volatile.Read(ref _wakes));
    }

    private RetryWake Create() => new(() => Interlocked.Increment(ref _wakes), _time, Poll);

    [Fact]
    public void ARetryDueBeforeThePoll_WakesTheWorkerWhenItFallsDue_NotBefore()
    {
        var wake = Create();
        wake.At(NowMs + 4_000);

        _time.Advance(TimeSpan.FromMilliseconds(3_999));
        Assert.Equal(0, Volatile.Read(ref _wakes));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        AssertWakes(1);
    }

    [Fact]
    public void ARetryTheNextPollFindsAnyway_SetsNoTimer()
    {
        var wake = Create();
        wake.At(NowMs + (long)Poll.TotalMilliseconds);

        _time.Advance(Poll * 2);
        Assert.Equal(0, Volatile.Read(ref _wakes));
    }

    [Fact]
    public void AnEarlierRetry_WakesAtItsOwnTime_ALaterOneWaitsForThatWakeOrThePoll()
    {
        var wake = Create();
        wake.At(NowMs + 5_000);
        wake.At(NowMs + 2_000);
        wake.At(NowMs + 3_000);

        _time.Advance(TimeSpan.FromSeconds(2));
        AssertWakes(1);
        // The 5 s timer still runs; the 3 s retry was left to it (the woken worker claims whatever is due by then).
        _time.Advance(TimeSpan.FromSeconds(3));
        AssertWakes(2);

        // Once woken, a new retry sets a timer again.
        wake.At(NowMs + 1_000);
        _time.Advance(TimeSpan.FromSeconds(1));
        AssertWakes(3);
    }
}
