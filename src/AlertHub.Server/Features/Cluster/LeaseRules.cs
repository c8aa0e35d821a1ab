using AlertHub.Core.Cluster;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// The rules every holder of an <see cref="IClusterLeases"/> lease keeps, so that a job never runs on two nodes at once:
/// <see cref="ClusterLeaseRunner"/> (one job per lease, e.g. the JMA poller) and the camera supervisor (a lease per camera,
/// all renewed from one loop) both follow them.
/// </summary>
internal static class LeaseRules
{
    /// <summary>
    /// Cancels <paramref name="held"/> when the lease runs out, whatever the renewing loop is doing: a stalled loop (a
    /// starved thread pool, a renewal that hangs) must not let the job run on into another node's lease.
    /// </summary>
    public static void ArmDeadline(CancellationTokenSource held, DateTimeOffset validUntil, TimeProvider time)
    {
        var left = validUntil - time.GetUtcNow();
        try
        {
            held.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>How long a renewal may take: an answer that comes after the lease ran out is no use.</summary>
    public static TimeSpan RenewalTimeout(DateTimeOffset validUntil, DateTimeOffset asked) =>
        validUntil - asked is var left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// A renewal failed without an answer, so the lease may still be ours until <paramref name="validUntil"/>: give it up now
    /// unless the next renewal would still come with half an interval to spare (timers fire a little late or early; the edge
    /// is no place to be).
    /// </summary>
    public static bool MustGiveUpAfterFailedRenewal(DateTimeOffset now, TimeSpan renewInterval, DateTimeOffset validUntil) =>
        now + (renewInterval * 1.5) >= validUntil;

    /// <summary>Lets the lease go so another node can take it at once; returns the error when that failed (it then expires by itself).</summary>
    public static async Task<string?> ReleaseAsync(IClusterLeases leases, string lease, TimeProvider time)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
            await leases.ReleaseAsync(lease, timeout.Token);
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }
}
