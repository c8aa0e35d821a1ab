using AlertHub.Core.Cluster;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// Self-fencing. A node whose heartbeats have not gone through for a while (its process was stopped, its VM frozen, its
/// network cut) may have been declared dead by the others, who then give the work it had claimed to themselves. When it
/// wakes up it must not send that work too: that would be a second copy of every message of its claimed batches, not only
/// of the few it had in flight.
/// <para>So a node sends only while its last heartbeat went through less than <see cref="FenceAfter"/> ago (two thirds
/// of <see cref="ClusterOptions.NodeTimeout"/>: well before anyone may declare it dead). Past that it waits for its next
/// heartbeat. That heartbeat tells it whether it was declared dead meanwhile; if it was, the <see cref="Epoch"/> moves on
/// and every batch claimed in the earlier epoch is dropped unsent and unrecorded: it belongs to whoever claimed it since.
/// If it was not (the database itself was away for everyone, see <see cref="ClusterHeartbeat"/>), the batches go on.</para>
/// On one node (SQLite) nobody takes work over and nothing is fenced.
/// </summary>
internal sealed partial class ClusterSelfFence(IClusterMembership membership, IOptions<ClusterOptions> options, TimeProvider time,
    ILogger<ClusterSelfFence> logger)
{
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(500);

    private long _lastBeatStarted = long.MinValue;
    private long _epoch;
    private int _fencedLogged;
    private TaskCompletionSource _beat = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Moves on each time this node learns it was declared dead: work claimed before is no longer its own.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>How long after its last heartbeat went through a node stops sending until the next one does.</summary>
    public TimeSpan FenceAfter => options.Value.NodeTimeout * 2 / 3;

    /// <summary>Whether this node may send now: on one node always; in a cluster while its last heartbeat is recent.</summary>
    public bool IsFresh
    {
        get
        {
            if (!membership.IsShared)
            {
                return true;
            }

            var started = Interlocked.Read(ref _lastBeatStarted);
            return started != long.MinValue && time.GetElapsedTime(started) < FenceAfter;
        }
    }

    /// <summary>
    /// A heartbeat that began at <paramref name="startedTimestamp"/> (a <see cref="TimeProvider.GetTimestamp"/>: the store
    /// stamps it later, so this errs early) went through; <paramref name="wasDeclaredDead"/> when the cluster had given this
    /// node up before it.
    /// </summary>
    public void BeatSucceeded(long startedTimestamp, bool wasDeclaredDead)
    {
        if (wasDeclaredDead)
        {
            var epoch = Interlocked.Increment(ref _epoch);
            LogNewEpoch(logger, epoch);
        }

        Interlocked.Exchange(ref _lastBeatStarted, startedTimestamp);
        Interlocked.Exchange(ref _fencedLogged, 0);
        Interlocked.Exchange(ref _beat, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Waits until this node may claim work (its heartbeat is recent).</summary>
    public async ValueTask WaitFreshAsync(CancellationToken cancellationToken)
    {
        while (!IsFresh)
        {
            await WaitForBeatAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Waits until work claimed in <paramref name="claimedIn"/> may be sent: true once the heartbeat is recent; false when
    /// this node was declared dead since the claim (drop the work: another node has it now).
    /// </summary>
    public async ValueTask<bool> MaySendAsync(long claimedIn, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Epoch != claimedIn)
            {
                return false;
            }

            if (IsFresh)
            {
                return true;
            }

            await WaitForBeatAsync(cancellationToken);
        }
    }

    private async Task WaitForBeatAsync(CancellationToken cancellationToken)
    {
        var beat = Volatile.Read(ref _beat).Task;
        if (IsFresh)
        {
            return;
        }

        if (Interlocked.Exchange(ref _fencedLogged, 1) == 0)
        {
            LogFenced(logger, FenceAfter.TotalSeconds);
        }

        try
        {
            await beat.WaitAsync(Recheck, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Look again: the clock may have made it fresh or stale without a beat (a beat in flight, a test's clock).
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node's heartbeat has not gone through for {Seconds:0.0} s: it sends nothing until it does, since the others may have taken its work over")]
    private static partial void LogFenced(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node was declared dead while silent; the batches it had claimed before (epoch {Epoch}) are dropped unsent, another node has them")]
    private static partial void LogNewEpoch(ILogger logger, long epoch);
}
