using AlertHub.Core.Cluster;
using AlertHub.Core.Delivery;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Health;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// On a shared store, keeps this node in the membership table and gives the outbox claims of nodes that went silent back
/// to everyone, so a node killed in the middle of a fan-out costs seconds, not the claim lease. Does nothing on SQLite,
/// whose one node releases an earlier process's claims at start.
/// </summary>
internal sealed partial class ClusterHeartbeat(
    IClusterMembership membership,
    ClusterNode node,
    ClusterSelfFence fence,
    IOutboxStore outbox,
    DeliverySignals signals,
    HealthState health,
    IOptions<ClusterOptions> options,
    TimeProvider time,
    ILogger<ClusterHeartbeat> logger) : BackgroundService
{
    /// <summary>How often the sweep also gives back what recently dead nodes still hold (a node that declared one dead may have died itself before releasing).</summary>
    private const int SafetySweepEvery = 15;

    /// <summary>
    /// Since when this node's own heartbeats have gone through without a break (a <see cref="TimeProvider"/> timestamp), or
    /// null while the store is unreachable from here.
    /// </summary>
    private long? _reachableSince;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!membership.IsShared)
        {
            return;
        }

        await health.WaitForStoreAsync(stoppingToken);
        LogJoined(logger, node.Id);
        var o = options.Value;
        for (var beat = 0; !stoppingToken.IsCancellationRequested; beat++)
        {
            try
            {
                var started = time.GetTimestamp();
                await BeatAsync(o, beat % SafetySweepEvery == SafetySweepEvery - 1, stoppingToken);
                if (time.GetElapsedTime(started) is var took && took > o.NodeTimeout / 3)
                {
                    // Half-way to being declared dead by the others: the machine or the database is overloaded.
                    LogBeatSlow(logger, took.TotalSeconds, o.NodeTimeout.TotalSeconds);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store is unreachable: the other nodes may declare this one dead meanwhile; the next beat says so.
                _reachableSince = null;
                LogBeatFailed(logger, e);
            }

            try
            {
                await Task.Delay(o.HeartbeatInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task BeatAsync(ClusterOptions o, bool safetySweep, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var wasDeclaredDead = await membership.HeartbeatAsync(node, cancellationToken);
        if (wasDeclaredDead)
        {
            LogDeclaredDead(logger, node.Id);
        }

        fence.BeatSucceeded(started, wasDeclaredDead);

        // A database failover silences every node at once: for the seconds the primary was gone nobody's heartbeat went
        // through. Silence counts only while the store was reachable from here: once it is back, the others get a whole
        // timeout to beat again before this node calls them dead and takes their claimed chunks (sending those again).
        _reachableSince ??= time.GetTimestamp();
        if (time.GetElapsedTime(_reachableSince.Value) < o.NodeTimeout)
        {
            return;
        }

        var dead = await membership.DeclareSilentNodesDeadAsync(o.NodeTimeout, cancellationToken);
        if (safetySweep)
        {
            dead = [.. dead.Union(await membership.RecentlyDeadAsync(TimeSpan.FromMinutes(10), cancellationToken))];
        }

        if (dead.Count == 0)
        {
            return;
        }

        // First end their sessions: one frozen in the middle of a statement holds row locks the release below would wait on.
        try
        {
            if (await membership.EndSessionsOfAsync(dead, cancellationToken) is > 0 and var ended)
            {
                LogEndedSessions(logger, ended, string.Join(", ", dead));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogEndSessionsFailed(logger, e.Message);
        }

        var released = await outbox.ReleaseClaimsOfAsync(dead, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        if (released > 0)
        {
            LogTookOver(logger, released, string.Join(", ", dead));
            signals.WakeAll();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (membership.IsShared)
        {
            try
            {
                // Registered before the delivery workers, so stopped after them. They give back what they had not sent;
                // whatever they still held (a send cut short by the stop timeout) goes back now, as a dead node's would,
                // since a node that left is never declared dead.
                await outbox.ReleaseClaimsOfAsync([node.Id], time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
                await membership.LeaveAsync(node, cancellationToken);
            }
            catch (ObjectDisposedException)
            {
                // The host is already tearing the store down: the others will see this node fall silent instead.
            }
            catch (Exception e)
            {
                LogBeatFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ended {Count} database sessions of {NodeIds}, declared dead, before taking their claims over")]
    private static partial void LogEndedSessions(ILogger logger, int count, string nodeIds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not end the database sessions of nodes declared dead ({Reason}); their claims are taken over once their locks are free")]
    private static partial void LogEndSessionsFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} joined")]
    private static partial void LogJoined(ILogger logger, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node ({NodeId}) was declared dead by the cluster while silent; the work it had claimed was taken over by other nodes")]
    private static partial void LogDeclaredDead(ILogger logger, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took over {Count} outbox items claimed by silent node(s) {NodeIds}")]
    private static partial void LogTookOver(ILogger logger, int count, string nodeIds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster heartbeat took {Seconds:0.0} s; other nodes declare a node dead after {TimeoutSeconds:0} s of silence")]
    private static partial void LogBeatSlow(ILogger logger, double seconds, double timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster heartbeat failed")]
    private static partial void LogBeatFailed(ILogger logger, Exception exception);
}
