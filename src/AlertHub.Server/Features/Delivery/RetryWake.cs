namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// Wakes one channel's worker on this node when a retry it has just recorded falls due, if that is sooner than the
/// worker's next poll would find it: a resident another node could not be sure of during a Redis failover is asked again
/// after a few seconds, not at the poll after (<c>Delivery:PollInterval</c> may be long). One timer at a time: a later due
/// time than the one already set waits for that wake-up or the poll.
/// </summary>
/// <param name="wake">Wakes the channel's worker on this node.</param>
internal sealed class RetryWake(Action wake, TimeProvider time, TimeSpan pollInterval)
{
    private long _setForMs = long.MaxValue;

    /// <summary>Sets a wake-up for <paramref name="dueMs"/> (Unix ms) unless the poll or an earlier wake-up comes first.</summary>
    public void At(long dueMs)
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (dueMs - nowMs >= (long)pollInterval.TotalMilliseconds)
        {
            return;
        }

        var set = Interlocked.Read(ref _setForMs);
        if (dueMs >= set || Interlocked.CompareExchange(ref _setForMs, dueMs, set) != set)
        {
            return;
        }

        _ = WakeLaterAsync(dueMs, TimeSpan.FromMilliseconds(Math.Max(0, dueMs - nowMs)));
    }

    private async Task WakeLaterAsync(long dueMs, TimeSpan delay)
    {
        await Task.Delay(delay, time);
        Interlocked.CompareExchange(ref _setForMs, long.MaxValue, dueMs);
        wake();
    }
}
