namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>
/// Starts requests at most <c>perSecond</c> a second, evenly spaced (1/rate apart), so a call never goes out beyond the
/// account's CPS: Twilio would queue it rather than refuse it, and the queue delays every call behind it. After a 429
/// (too many concurrent requests), <see cref="BackOff"/> holds every start for a while: the SDK does not retry those.
/// </summary>
internal sealed class RequestPacer(double perSecond, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly long _intervalTicks = (long)(TimeSpan.TicksPerSecond / Math.Max(perSecond, 0.001));
    private long _nextTicks = long.MinValue;

    public double PerSecond { get; } = perSecond;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // The start is the next free slot (now, when the pacer was idle). The slot after it counts from this slot, not from
            // when the delay woke up: timers wake late by a millisecond or more, and counting from the wake-up lost that much
            // per call (76 calls/s at a CPS of 100).
            var now = time.GetUtcNow().UtcTicks;
            var slot = Math.Max(now, Interlocked.Read(ref _nextTicks));
            if (slot > now)
            {
                await Task.Delay(TimeSpan.FromTicks(slot - now), time, cancellationToken);
            }

            Interlocked.Exchange(ref _nextTicks, slot + _intervalTicks);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>No start before <paramref name="delay"/> from now.</summary>
    public void BackOff(TimeSpan delay)
    {
        var until = time.GetUtcNow().UtcTicks + delay.Ticks;
        long current;
        do
        {
            current = Interlocked.Read(ref _nextTicks);
            if (current >= until)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _nextTicks, until, current) != current);
    }

    public void Dispose() => _gate.Dispose();
}
