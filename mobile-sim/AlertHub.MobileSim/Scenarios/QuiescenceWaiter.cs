namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// Decides when deliveries are over: the count has not grown for the quiet period, or the timeout passed.
/// While nothing has arrived yet and something is expected, silence means the hub has not started, so
/// only the timeout ends the wait.
/// </summary>
internal sealed class QuiescenceWaiter(TimeProvider time, TimeSpan quietPeriod, TimeSpan timeout)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <returns>Elapsed time and whether the timeout ended the wait.</returns>
    public async Task<(TimeSpan Waited, bool TimedOut)> WaitAsync(Func<int> count, bool expectSomething, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        var lastCount = count();
        var lastChange = start;
        while (true)
        {
            var now = time.GetTimestamp();
            var current = count();
            if (current != lastCount)
            {
                lastCount = current;
                lastChange = now;
            }

            var decision = Decide(time.GetElapsedTime(start, now), time.GetElapsedTime(lastChange, now), current, expectSomething);
            if (decision is not null)
            {
                return (time.GetElapsedTime(start, now), decision.Value);
            }

            await Task.Delay(PollInterval, time, cancellationToken);
        }
    }

    /// <returns>null to keep waiting, false when quiet, true when timed out.</returns>
    internal bool? Decide(TimeSpan sinceStart, TimeSpan sinceLastChange, int count, bool expectSomething)
    {
        if (sinceStart >= timeout)
        {
            return true;
        }

        if (sinceLastChange >= quietPeriod && (count > 0 || !expectSomething))
        {
            return false;
        }

        return null;
    }
}
