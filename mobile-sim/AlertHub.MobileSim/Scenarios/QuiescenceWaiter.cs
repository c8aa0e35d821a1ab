namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// Decides when deliveries are over. Once every expected receipt is in, a quiet period (no growth) still
/// passes so late duplicates are caught. While some are missing, silence may just be a busy machine or a
/// retry, so only a much longer stall (no growth for 5 × quiet, at least 15 s) or the timeout ends the wait.
/// </summary>
internal sealed class QuiescenceWaiter(TimeProvider time, TimeSpan quietPeriod, TimeSpan timeout)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <param name="count">Receipts so far, compared with <paramref name="expected"/> (distinct ones, so duplicates never stand in for a missing resident).</param>
    /// <param name="activity">What "no growth" is judged on; default <paramref name="count"/>. Pass every receipt,
    /// duplicates included, so the quiet period still catches late duplicates.</param>
    /// <returns>Elapsed time and whether the timeout ended the wait.</returns>
    public async Task<(TimeSpan Waited, bool TimedOut)> WaitAsync(Func<int> count, int expected, CancellationToken cancellationToken, Func<int>? activity = null)
    {
        activity ??= count;
        var start = time.GetTimestamp();
        var lastActivity = activity();
        var lastChange = start;
        while (true)
        {
            var now = time.GetTimestamp();
            var current = count();
            if (activity() is var seen && seen != lastActivity)
            {
                lastActivity = seen;
                lastChange = now;
            }

            var decision = Decide(time.GetElapsedTime(start, now), time.GetElapsedTime(lastChange, now), current, expected);
            if (decision is not null)
            {
                return (time.GetElapsedTime(start, now), decision.Value);
            }

            await Task.Delay(PollInterval, time, cancellationToken);
        }
    }

    /// <returns>null to keep waiting, false when quiet, true when timed out.</returns>
    internal bool? Decide(TimeSpan sinceStart, TimeSpan sinceLastChange, int count, int expected)
    {
        if (sinceStart >= timeout)
        {
            return true;
        }

        if (count >= expected && sinceLastChange >= quietPeriod)
        {
            return false;
        }

        var stall = TimeSpan.FromTicks(Math.Max(quietPeriod.Ticks * 5, TimeSpan.FromSeconds(15).Ticks));
        if (count > 0 && sinceLastChange >= stall)
        {
            return false;
        }

        return null;
    }
}
