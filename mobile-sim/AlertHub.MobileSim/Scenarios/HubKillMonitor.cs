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
/// <param name="Server">Set when a server of the cluster was killed instead of a hub node (--kill-db-primary: "database primary",
/// --kill-redis-primary: "Redis primary"); <paramref name="RestartMs"/> is then until its replacement took writes.</param>
/// <param name="LongestPauseMs">The longest stretch after the kill without any receipt, from the kill to the last receipt
/// before the next kill (the kill itself opens the first stretch): how long delivery stood still.</param>
/// <param name="LongestSignalRPauseMs">The same for SignalR receipts only; null when none came after the kill.</param>
internal sealed record HubKillReport(double Share, int ReceiptsAtKill, double KilledAtMs, double RestartMs, int Resent, int ResentWithOtherKey,
    string? Node = null, string? Server = null, double? LongestPauseMs = null, double? LongestSignalRPauseMs = null);

/// <summary>
/// --kill-hub-at: once each given share of the expected receipts is in, SIGKILLs the hub and starts it again on the
/// same data directory (only with --start-hub). Everyone must still get the alert, and a kill may re-send only what
/// the hub had in flight, with the same delivery id.
/// </summary>
internal sealed class HubKillMonitor(IReadOnlyList<double> shares, Func<CancellationToken, Task<TimeSpan>> killAndRestart, ReceiptLog receipts,
    TimeProvider time, TimeSpan timeout, string? node = null, string? server = null, string? channel = null)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);
    private readonly List<(double Share, int Receipts, long KilledAt, TimeSpan Restart)> _kills = [];
    private Task? _run;
    private long _issuedAt;

    /// <summary>The channel whose receipts the kill shares count (--kill-redis-primary: SignalR, so the kill falls inside its
    /// burst); null: every channel's.</summary>
    public string? Channel => channel;

    private int Received => channel is null ? receipts.DistinctCount : receipts.DistinctCountOf(channel);

    /// <summary>Starts watching right after the issue; <paramref name="before"/> is the distinct receipt count (of
    /// <see cref="Channel"/>) before it, <paramref name="expected"/> how many are expected.</summary>
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
                while (Received - before < threshold && time.GetElapsedTime(started) < timeout)
                {
                    await Task.Delay(Poll, time);
                }

                var at = Received - before;
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

        return [.. kills.Select((k, i) =>
        {
            var until = i + 1 < kills.Count ? kills[i + 1].KilledAt : long.MaxValue;
            var after = ours.Where(r => r.Timestamp >= k.KilledAt && r.Timestamp < until).ToList();
            return new HubKillReport(k.Share, k.Receipts, time.GetElapsedTime(_issuedAt, k.KilledAt).TotalMilliseconds,
                k.Restart.TotalMilliseconds, resent[i], otherKey[i], node, server, LongestPause(k.KilledAt, after),
                LongestPause(k.KilledAt, [.. after.Where(r => r.Channel == Population.SimChannels.SignalR)]));
        })];
    }

    /// <summary>The longest gap, in ms, between <paramref name="from"/> and the receipts after it in time order; null without any.</summary>
    private double? LongestPause(long from, IReadOnlyList<Receipt> after)
    {
        if (after.Count == 0)
        {
            return null;
        }

        var longest = TimeSpan.Zero;
        var previous = from;
        foreach (var at in after.Select(r => r.Timestamp).Order())
        {
            var gap = time.GetElapsedTime(previous, at);
            longest = gap > longest ? gap : longest;
            previous = at;
        }

        return longest.TotalMilliseconds;
    }
}
