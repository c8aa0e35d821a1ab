using AlertHub.Core.Storage;
using System.Collections.Concurrent;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Targeting;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Alerts;

/// <summary>
/// Large fan-outs are queued in parts, so the first residents hear within a second whatever the size: the issuing
/// transaction stores the version with its first part, the hub answers, and the rest is queued in slices while the
/// workers already send. Each slice is queued only while the version is still the alert's newest (in the same
/// transaction), so an update, cancel or all-clear issued meanwhile decides who hears what next. A version whose
/// queueing stopped part way — the process died — is finished at the next start: its targets are computed again and
/// whoever is not queued yet is queued.
/// <para>Across a cluster, the node queueing a version holds the lock <see cref="LockName"/> from before the version is
/// committed until its last part is queued; another node finishes a version only if it can take that lock, i.e. when the
/// queueing node has died (its session, and the lock with it, ended) or stopped on an error. A database failover ends every
/// session, so the lock can vanish under a queuer that is still running: the finishing node therefore also takes the
/// version over in the database (<see cref="AlertRecords.TakeOverQueueingAsync"/>), and each part is queued only while its
/// queuer still owns the version.</para>
/// </summary>
internal sealed partial class AlertQueueing(
    AlertRecords store,
    IOutboxStore outbox,
    AlertHub.Core.Cluster.IClusterLocks locks,
    AlertHub.Core.Cluster.ClusterNode node,
    TargetingService targeting,
    ChannelRegistry channels,
    DeliverySignals signals,
    HealthState health,
    IOptions<AlertsOptions> options,
    TimeProvider time,
    ILogger<AlertQueueing> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<(string, int), Task> _running = new();

    /// <summary>The part to queue in the issuing transaction, and the residents left for later parts (null: all in one).</summary>
    public (OutboxEnqueue First, IReadOnlyList<Guid>? Later) Split(OutboxEnqueue full, IReadOnlyList<Guid> targetedResidents)
    {
        var o = options.Value;
        if (full.Rule == RecipientRule.PreviouslyDelivered || targetedResidents.Count <= o.QueueInPartsAbove)
        {
            return (full, null);
        }

        var first = targetedResidents.Take(o.FirstPart).ToHashSet();
        var later = targetedResidents.Skip(o.FirstPart).ToList();
        var laterSet = full.Rule == RecipientRule.TargetedAndPrevious ? later.ToHashSet() : null;
        return (full with
        {
            Targeted = full.Targeted.ToDictionary(c => c.Key, c => (IReadOnlyList<Guid>)[.. c.Value.Where(first.Contains)], StringComparer.OrdinalIgnoreCase),
            TargetedLater = laterSet is null ? null : laterSet.Contains,
        }, later);
    }

    /// <summary>The cluster lock held while a version is being queued in parts.</summary>
    internal static string LockName(string alertId, int version) => $"alerts.queueing:{alertId}:{version}";

    /// <summary>Takes the queueing lock of a version about to be stored with only its first part: hand it to
    /// <see cref="ContinueInBackground"/>, or dispose it if the version is not stored.</summary>
    public Task<IAsyncDisposable> HoldQueueingAsync(string alertId, int version, CancellationToken cancellationToken) =>
        locks.AcquireAsync(LockName(alertId, version), cancellationToken);

    /// <summary>Queues the later parts in the background (the issuing request has answered already), then lets go of
    /// <paramref name="held"/> (see <see cref="HoldQueueingAsync"/>).</summary>
    public void ContinueInBackground(OutboxEnqueue full, IReadOnlyList<Guid> later, IAsyncDisposable held)
    {
        var key = (full.AlertId, full.Version);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running[key] = done.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await QueueRestAsync(full, later, owner: null, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The version stays unfinished: the next pass of ExecuteAsync (or the next start) finishes it.
                LogQueueingFailed(logger, full.AlertId, full.Version, e);
            }
            finally
            {
                await held.DisposeAsync();
                _running.TryRemove(key, out _);
                done.SetResult();
            }
        });
    }

    /// <summary>Waits for parts being queued in the background (tests, and a graceful stop).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values);

    /// <param name="owner">Who queues: null for the issuing node, else the token <see cref="FinishAsync"/> took it over with.</param>
    private async Task QueueRestAsync(OutboxEnqueue full, IReadOnlyList<Guid> later, string? owner, CancellationToken cancellationToken)
    {
        var parts = SliceIntoParts(full.Targeted, later, Math.Max(1, options.Value.PartSize));
        for (var k = 0; k < parts.Count; k++)
        {
            var targeted = parts[k];
            var check = await store.AppendQueuedPartAsync(full.AlertId, full.Version, owner,
                full with { Rule = RecipientRule.Targeted, Targeted = targeted, Broadcast = [], TargetedLater = null }, cancellationToken);
            if (check == QueueingCheck.TakenOver)
            {
                // Another node holds the version now (this node's lock went with a failed-over database session, or it
                // stalled past its lock): the rest, and marking it finished, are that node's.
                LogTakenOver(logger, full.AlertId, full.Version, parts.Skip(k).Sum(p => p.Values.Sum(v => v.Count)));
                return;
            }

            if (check == QueueingCheck.Superseded)
            {
                var left = parts.Skip(k).Sum(p => p.Values.Sum(v => v.Count));
                LogStoppedByNewerVersion(logger, full.AlertId, full.Version, left);
                break;
            }

            foreach (var channel in targeted.Where(t => t.Value.Count > 0).Select(t => t.Key))
            {
                signals.Wake(channel);
            }

            if (options.Value.PausePerPart > TimeSpan.Zero)
            {
                await Task.Delay(options.Value.PausePerPart, time, cancellationToken);
            }
        }

        await store.CompleteQueueingAsync(full.AlertId, full.Version, owner, cancellationToken);
    }

    /// <summary>
    /// The later residents in parts of <paramref name="partSize"/>, each part with its residents per channel. A resident
    /// and all their channels are in one part, so an escalation's steps are worked out together. One pass over each
    /// channel's list (not one per part: a million recipients in 40 parts would otherwise be 40 million lookups).
    /// </summary>
    internal static List<Dictionary<string, IReadOnlyList<Guid>>> SliceIntoParts(IReadOnlyDictionary<string, IReadOnlyList<Guid>> byChannel,
        IReadOnlyList<Guid> later, int partSize)
    {
        var partOf = new Dictionary<Guid, int>(later.Count);
        for (var i = 0; i < later.Count; i++)
        {
            partOf.TryAdd(later[i], i / partSize);
        }

        var count = (later.Count + partSize - 1) / partSize;
        var parts = new List<Dictionary<string, List<Guid>>>(count);
        for (var k = 0; k < count; k++)
        {
            parts.Add(new Dictionary<string, List<Guid>>(StringComparer.OrdinalIgnoreCase));
        }

        foreach (var (channel, residents) in byChannel)
        {
            foreach (var part in parts)
            {
                part[channel] = [];
            }

            foreach (var resident in residents)
            {
                if (partOf.TryGetValue(resident, out var k))
                {
                    parts[k][channel].Add(resident);
                }
            }
        }

        return [.. parts.Select(p => p.ToDictionary(c => c.Key, c => (IReadOnlyList<Guid>)c.Value, StringComparer.OrdinalIgnoreCase))];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var (alertId, version) in await store.UnfinishedQueueingAsync(stoppingToken))
                {
                    if (!_running.ContainsKey((alertId, version)))
                    {
                        await FinishAsync(alertId, version, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogQueueingFailed(logger, "(unfinished versions)", 0, e);
            }

            try
            {
                await Task.Delay(options.Value.UnfinishedQueueingCheck, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Finishes a version another process started queueing: targets computed again, minus whoever is queued already.</summary>
    private async Task FinishAsync(string alertId, int version, CancellationToken cancellationToken)
    {
        // Another node still queueing it holds the lock: not ours to finish. Once taken, look again: it may have finished
        // between the list and the lock.
        await using var held = await locks.TryAcquireAsync(LockName(alertId, version), cancellationToken);
        if (held is null || !(await store.UnfinishedQueueingAsync(cancellationToken)).Contains((alertId, version)))
        {
            return;
        }

        // The lock alone is not enough: a database failover drops advisory locks, and the node that was queueing may still
        // be running. Taking the version over in the database fences it: its next part is refused. Only what is queued once
        // the take-over has committed is counted below, so nobody is queued twice and nobody is left out.
        var owner = $"{node.Id}/{Guid.NewGuid():N}";
        if (!await store.TakeOverQueueingAsync(alertId, version, owner, cancellationToken))
        {
            return;
        }

        var document = await store.GetVersionAsync(alertId, version, cancellationToken);
        var head = await store.GetHeadAsync(alertId, cancellationToken);
        if (document is null || head is null || head.Value.CurrentVersion != version)
        {
            await store.CompleteQueueingAsync(alertId, version, owner, cancellationToken);
            return;
        }

        var requested = document.Escalation?.Channels ?? document.Channels;
        IReadOnlyCollection<string> allowed = requested is { Length: > 0 } ? [.. requested.Where(channels.IsKnown)] : channels.Names;
        var result = targeting.Query(document.Area, document.Audience, allowed, document.IncludeCurrentLocations, collect: true);
        var queued = await outbox.QueuedMembersAsync(alertId, version, cancellationToken);
        var left = result.RecipientsByChannel.ToDictionary(c => c.Key,
            c => (IReadOnlyList<Guid>)[.. c.Value.Where(r => !queued.Contains((c.Key, r)))], StringComparer.OrdinalIgnoreCase);
        var residents = left.Values.SelectMany(v => v).Distinct().ToList();
        LogFinishing(logger, alertId, version, residents.Count);
        var full = new OutboxEnqueue(alertId, version, document.Priority, RecipientRule.Targeted, 0, left, allowed, document.Escalation?.Channels,
            (long)TimeSpan.FromMinutes(document.Escalation?.StepMinutes ?? 5).TotalMilliseconds, [], _ => [],
            channel => channels.IsKnown(channel) ? channels.Get(channel).Limits.MaxBatchSize : 500);
        await QueueRestAsync(full with { NowMs = time.GetUtcNow().ToUnixTimeMilliseconds() }, residents, owner, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Queueing alert {AlertId} v{Version} stopped part way; it is finished later")]
    private static partial void LogQueueingFailed(ILogger logger, string alertId, int version, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} v{Version}: a newer version stopped queueing; {Left} deliveries (resident and channel) of this version were not queued")]
    private static partial void LogStoppedByNewerVersion(ILogger logger, string alertId, int version, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} v{Version}: another node took queueing over; it queues the {Left} deliveries (resident and channel) left")]
    private static partial void LogTakenOver(ILogger logger, string alertId, int version, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} v{Version}: finishing queueing that stopped part way; {Left} residents still to queue")]
    private static partial void LogFinishing(ILogger logger, string alertId, int version, int left);
}
