using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>One SIGKILL of the hub during a run.</summary>
/// <param name="Share">The share of expected receipts that triggered it.</param>
/// <param name="ReceiptsAtKill">Receipts of the alert in when the hub was killed.</param>
/// <param name="KilledAtMs">From the issue to the kill.</param>
/// <param name="RestartMs">From the kill until the restarted hub answered /health.</param>
/// <param name="Resent">Receipts after this kill of a message the resident already had (until the next kill).</param>
/// <param name="ResentWithOtherKey">Of those, how many carried a different delivery id than the first copy (should be 0: a re-send is the same message).</param>
/// <param name="RestartMs">The one hub: until it answered again after its restart. A cluster node (<paramref name="Node"/>): until the
/// other nodes had declared it dead and taken over everything it had claimed.</param>
internal sealed record HubKillReport(double Share, int ReceiptsAtKill, double KilledAtMs, double RestartMs, int Resent, int ResentWithOtherKey,
    string? Node = null);

/// <summary>
/// --kill-hub-at: once each given share of the expected receipts is in, SIGKILLs the hub and starts it again on the
/// same data directory (only with --start-hub). Everyone must still get the alert, and a kill may re-send only what
/// the hub had in flight, with the same delivery id.
/// </summary>
internal sealed class HubKillMonitor(IReadOnlyList<double> shares, Func<CancellationToken, Task<TimeSpan>> killAndRestart, ReceiptLog receipts,
    TimeProvider time, TimeSpan timeout, string? node = null)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);
    private readonly List<(double Share, int Receipts, long KilledAt, TimeSpan Restart)> _kills = [];
    private Task? _run;
    private long _issuedAt;

    /// <summary>Starts watching right after the issue; <paramref name="before"/> is the distinct receipt count before it.</summary>
    public void Arm(long issuedAt, int before, int expected)
    {
        _issuedAt = issuedAt;
        _run = Task.Run(async () =>
        {
            var started = time.GetTimestamp();
            foreach (var share in shares.Order())
            {
                var threshold = (int)Math.Ceiling(share * expected);
                // Bounded by the run's timeout: a run that stalls still ends.
                while (receipts.DistinctCount - before < threshold && time.GetElapsedTime(started) < timeout)
                {
                    await Task.Delay(Poll, time);
                }

                var at = receipts.DistinctCount - before;
                var killedAt = time.GetTimestamp();
                var restart = await killAndRestart(CancellationToken.None);
                lock (_kills)
                {
                    _kills.Add((share, at, killedAt, restart));
                }
            }
        });
    }

    /// <summary>Waits until every kill has happened and the hub is back.</summary>
    public Task WaitDoneAsync() => _run ?? Task.CompletedTask;

    public IReadOnlyList<HubKillReport> Report(IReadOnlyList<Receipt> ours)
    {
        var kills = _kills.OrderBy(k => k.KilledAt).ToList();
        var resent = new int[kills.Count];
        var otherKey = new int[kills.Count];
        foreach (var copies in ours.GroupBy(r => (r.ExternalId, r.Channel, r.Version)))
        {
            var ordered = copies.OrderBy(r => r.Timestamp).ToList();
            foreach (var extra in ordered.Skip(1))
            {
                var k = kills.FindLastIndex(x => x.KilledAt <= extra.Timestamp);
                if (k < 0)
                {
                    continue;
                }

                resent[k]++;
                if (!string.Equals(extra.DeliveryId, ordered[0].DeliveryId, StringComparison.Ordinal))
                {
                    otherKey[k]++;
                }
            }
        }

        return [.. kills.Select((k, i) => new HubKillReport(k.Share, k.Receipts, time.GetElapsedTime(_issuedAt, k.KilledAt).TotalMilliseconds,
            k.Restart.TotalMilliseconds, resent[i], otherKey[i], node))];
    }
}
