using AlertHub.Server.Features.Delivery.Channels.Telephony;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Channels.Telephony;

public sealed class RequestPacerTests
{
    private static readonly DateTimeOffset Start = new(2026, 8, 1, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task WaitAsync_TimersWakeLate_StillStartsAtTheAccountsRate_AndNeverMoreInAnySecond()
    {
        var time = new FakeTimeProvider(Start);
        using var pacer = new RequestPacer(100, time);
        var starts = new List<DateTimeOffset>();

        // The clock moves in 3 ms steps, so every delay wakes up to 3 ms after it was due, as real timers do under load.
        while (time.GetUtcNow() < Start.AddSeconds(10))
        {
            var wait = pacer.WaitAsync(CancellationToken.None);
            while (!wait.IsCompleted)
            {
                time.Advance(TimeSpan.FromMilliseconds(3));
            }

            await wait;
            starts.Add(time.GetUtcNow());
        }

        var inTenSeconds = starts.Count(s => s < Start.AddSeconds(10));
        Assert.InRange(inTenSeconds, 995, 1_000);
        // Each start is at most one wake-up late for its own slot, so a one-second window holds at most one more than the rate.
        var busiest = starts.Max(s => starts.Count(o => o >= s && o < s.AddSeconds(1)));
        Assert.InRange(busiest, 100, 101);
    }

    [Fact]
    public async Task WaitAsync_AfterAnIdlePause_DoesNotBurstToCatchUp()
    {
        var time = new FakeTimeProvider(Start);
        using var pacer = new RequestPacer(10, time);
        await pacer.WaitAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(5));

        await pacer.WaitAsync(CancellationToken.None);
        var next = pacer.WaitAsync(CancellationToken.None);

        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await next;
    }
}
