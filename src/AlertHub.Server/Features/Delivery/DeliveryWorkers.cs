using AlertHub.Core.Storage;
using System.Collections.Concurrent;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// One pipeline per channel over the durable outbox: claim due work in priority order (the store marks it Sending
/// under this process's name), check it is still wanted, render, send through the channel's resilience pipeline, and
/// record each item's outcome as soon as the channel reports it. Channels run independently, so a slow or failing
/// channel never holds up the others. A crash re-sends at most the items that were really in flight (their claims
/// expire, or a single-node store releases them at start); on stop, the batch in flight finishes and is recorded,
/// and batches claimed but not yet sent are given back unsent.
/// </summary>
internal sealed partial class DeliveryWorkers(
    ChannelRegistry channels,
    ChannelResilience resilience,
    IOutboxStore outbox,
    IDeliveryAddresses addresses,
    AlertRecords alerts,
    ResidentStore residents,
    ResidentIndexSync index,
    DeliverySignals signals,
    ChannelPauses pauses,
    IStaffEvents staff,
    IEnumerable<IBroadcastChannel> broadcastChannels,
    DeliveryTimings timings,
    HealthState health,
    AlertHubTelemetry telemetry,
    AlertHub.Core.Cluster.ClusterNode node,
    AlertHub.Core.Cluster.IClusterMembership membership,
    Cluster.ClusterSelfFence fence,
    IStoreFaults storeFaults,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryWorkers> logger) : BackgroundService
{
    private readonly Dictionary<string, Dictionary<Guid, string>> _broadcastTargets = broadcastChannels.ToDictionary(
        b => b.Name, b => b.Targets.ToDictionary(t => t.Id, t => t.Address));

    /// <summary>This process's name in the outbox's <c>claimed_by</c> column.</summary>
    internal string Claimant => node.Id;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        // The SQLite store has one node: claims left by an earlier process died with it. Their items may have gone
        // out (receivers dedupe on the delivery id), so they are sent again. A shared store's other claimants may be
        // alive and sending: theirs are given back only once the cluster declares them dead (ClusterHeartbeat).
        if (!membership.IsShared && await outbox.ReleaseExpiredClaimsAsync(Now(), exceptClaimant: Claimant, stoppingToken) is > 0 and var released)
        {
            LogReleasedAtStart(logger, released);
        }

        var loops = channels.All.Select(c => Task.Run(() => RunChannelAsync(c, stoppingToken), CancellationToken.None)).ToList();
        loops.Add(Task.Run(() => SweepLeasesAsync(stoppingToken), CancellationToken.None));
        loops.Add(Task.Run(() => IndexMembersAsync(stoppingToken), CancellationToken.None));
        health.WorkersRunning = true;
        try
        {
            await Task.WhenAll(loops);
        }
        finally
        {
            health.WorkersRunning = false;
        }
    }

    /// <summary>
    /// Three overlapping stages per channel: a claimer takes due rows (priority order) one batch ahead, the sender
    /// checks, renders and sends one batch at a time, and a recorder writes outcomes as items complete — whatever has
    /// completed since its last write, in one transaction.
    /// </summary>
    private async Task RunChannelAsync(IDeliveryChannel channel, CancellationToken stoppingToken)
    {
        var queue = System.Threading.Channels.Channel.CreateBounded<(IReadOnlyList<ClaimedWork> Work, double ClaimMs, long Epoch)>(
            new System.Threading.Channels.BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var outcomes = System.Threading.Channels.Channel.CreateUnbounded<CompletedItem>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
        // A send slot is given back only when the item's outcome is recorded, not when its request ends: what a crash
        // can re-send (sent but not yet recorded) never exceeds the channel's MaxUnrecorded, however far the recorder lags.
        using var unrecorded = new SemaphoreSlim(channel.Limits.MaxUnrecorded);
        using var admitting = new SemaphoreSlim(1, 1);
        var inHand = new ClaimsInHand();
        var retryWake = new RetryWake(() => signals.WakeHere(channel.Name), time, options.Value.PollInterval);
        var recorder = Task.Run(() => RecordLoopAsync(channel, outcomes.Reader, unrecorded, inHand, retryWake), CancellationToken.None);
        var claimer = Task.Run(() => ClaimLoopAsync(channel, queue.Writer, inHand, stoppingToken), CancellationToken.None);
        await foreach (var (claimed, claimMs, epoch) in queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            var run = new BatchRun(claimed, outcomes.Writer, unrecorded, admitting, channel.Limits.MaxUnrecorded, epoch);
            if (stoppingToken.IsCancellationRequested)
            {
                // Claimed but not sent: give it back for the next start.
                run.ReleaseRest(mayHaveReached: false, Now());
                continue;
            }

            try
            {
                // The send runs to completion even during shutdown (bounded by the batch timeout) so it gets recorded.
                await SendBatchAsync(channel, run, claimMs, inHand);
            }
            catch (BrokenCircuitException e)
            {
                LogCircuitOpen(logger, channel.Name);
                run.ReleaseRest(mayHaveReached: false, Now());
                await DelayAsync(e.RetryAfter ?? options.Value.BreakerBreakDuration, stoppingToken);
            }
            catch (Exception e)
            {
                // A timeout or a channel error: what it had sent is unknown, so a retraction would follow these.
                LogLoopFailure(channel.Name, e);
                run.ReleaseRest(mayHaveReached: true, Now());
                await DelayAsync(options.Value.PollInterval, stoppingToken);
            }
        }

        outcomes.Writer.Complete();
        await recorder;
        await claimer;
    }

    private async Task ClaimLoopAsync(IDeliveryChannel channel,
        System.Threading.Channels.ChannelWriter<(IReadOnlyList<ClaimedWork> Work, double ClaimMs, long Epoch)> queue, ClaimsInHand inHand,
        CancellationToken stoppingToken)
    {
        var o = options.Value;
        long? straysSince = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (straysSince is { } since && await ReleaseStrayClaimsAsync(channel.Name, inHand, since, stoppingToken))
                    {
                        straysSince = null;
                        continue;
                    }

                    if (pauses.PausedFor(channel.Name) is { } paused)
                    {
                        // The provider asked this node or another to stop for a while: nothing is claimed until then.
                        await DelayAsync(paused, stoppingToken);
                        continue;
                    }

                    // A node that may have been declared dead claims nothing until its heartbeat says otherwise; the epoch
                    // ties this claim to the node's life as the cluster knows it (see ClusterSelfFence).
                    await fence.WaitFreshAsync(stoppingToken);
                    var epoch = fence.Epoch;
                    var claimStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                    var now = Now();
                    var claimed = await outbox.ClaimDueAsync(channel.Name, channel.Limits.MaxBatchSize, now, Claimant,
                        now + (long)o.ClaimLease.TotalMilliseconds, stoppingToken);
                    if (claimed.Count == 0)
                    {
                        await signals.WaitAsync(channel.Name, o.PollInterval, stoppingToken);
                        continue;
                    }

                    claimed = await WithAddressesAsync(channel.Name, claimed, stoppingToken);

                    inHand.Took(claimed.Count);
                    await queue.WriteAsync((claimed, System.Diagnostics.Stopwatch.GetElapsedTime(claimStarted).TotalMilliseconds, epoch), CancellationToken.None);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    // The claim may have committed all the same (its answer lost with a database primary), or the rows it
                    // returned were lost with the address lookup after it: either way the store says this node holds rows
                    // nothing here will send, and they would wait out the whole lease.
                    straysSince ??= time.GetTimestamp();
                    LogLoopFailure(channel.Name, e);
                    await DelayAsync(o.PollInterval, stoppingToken);
                }
            }
        }
        finally
        {
            queue.Complete();
        }
    }

    /// <summary>
    /// Gives back claims of this node on the channel that no batch here holds, once every row the channel holds in memory has
    /// been recorded (or released, or dropped): every claim of this node left on the channel in the store is then one it made
    /// without knowing. This loop is the channel's only claimer on this node, so it claims nothing while it waits for that,
    /// for up to <see cref="StrayDrainWait"/> from the failure; after that it claims again and releases the next time its
    /// hands are empty (a channel that cannot drain must not stop sending). Returns whether the release was done.
    /// </summary>
    private async Task<bool> ReleaseStrayClaimsAsync(string channel, ClaimsInHand inHand, long failedAt, CancellationToken stoppingToken)
    {
        while (inHand.Count > 0 && time.GetElapsedTime(failedAt) < StrayDrainWait && !stoppingToken.IsCancellationRequested)
        {
            await DelayAsync(TimeSpan.FromMilliseconds(50), stoppingToken);
        }

        if (inHand.Count > 0 || stoppingToken.IsCancellationRequested)
        {
            return false;
        }

        if (await outbox.ReleaseOwnClaimsAsync(Claimant, channel, Now(), stoppingToken) is > 0 and var released)
        {
            LogStrayClaimsReleased(logger, channel, released);
            signals.Wake(channel);
        }

        return true;
    }

    /// <summary>How long a claimer waits for its channel to drain before releasing stray claims (a batch in flight normally
    /// records within a second or two; a store that is failing over holds outcomes until it is back).</summary>
    private static readonly TimeSpan StrayDrainWait = TimeSpan.FromSeconds(30);

    /// <summary>Claims whose holder died or hung are given back once their lease has run out.</summary>
    private async Task SweepLeasesAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await DelayAsync(options.Value.LeaseSweepInterval, stoppingToken);
            try
            {
                if (!stoppingToken.IsCancellationRequested && await outbox.ReleaseExpiredClaimsAsync(Now(), exceptClaimant: null, stoppingToken) is > 0 and var n)
                {
                    LogLeasesExpired(logger, n);
                    signals.WakeAll();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                LogLoopFailure("(lease sweep)", e);
            }
        }
    }

    /// <summary>Large fan-outs are queued first and indexed by resident right after (for the inbox), a few items per write.</summary>
    private async Task IndexMembersAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await outbox.IndexPendingMembersAsync(20, Now() - 3_000, stoppingToken) == 0)
                {
                    await DelayAsync(TimeSpan.FromMilliseconds(500), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                LogLoopFailure("(member index)", e);
                await DelayAsync(options.Value.PollInterval, stoppingToken);
            }
        }
    }

    private async Task SendBatchAsync(IDeliveryChannel channel, BatchRun run, double claimMs, ClaimsInHand inHand)
    {
        var renderStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var claimed = run.Claimed;
        var documents = new Dictionary<long, AlertDocument?>(claimed.Count);
        var followUps = new List<long>();
        foreach (var work in claimed)
        {
            var alert = await alerts.GetVersionAsync(work.AlertId, work.Version, CancellationToken.None);
            documents[work.Id] = alert;
            if (alert is { MsgType: MsgType.Cancel } or { AllClear: true })
            {
                followUps.Add(work.Id);
            }
        }

        // Claimed a moment ago, but a newer version may have been issued since: that one reaches these people, so
        // the old text is not sent. A retraction goes only where an earlier version reached (or may have).
        var (stale, neverReached) = await outbox.CheckBeforeSendAsync([.. claimed.Select(w => w.Id)], followUps, CancellationToken.None);
        var items = new List<DeliveryItem>(claimed.Count);
        // One rendering per version and language in a batch: a thousand residents of one alert share a few texts.
        var rendered = new Dictionary<(string AlertId, int Version, string? Language), RenderedMessage>();
        foreach (var work in claimed)
        {
            var alert = documents[work.Id];
            WorkOutcome? settled = null;
            if (alert is null)
            {
                settled = new WorkOutcome(work.Id, WorkState.Failed, null, null, work.Attempts, "alert version missing");
            }
            else if (stale.Contains(work.Id))
            {
                settled = new WorkOutcome(work.Id, WorkState.Superseded, null, null, work.Attempts, "superseded by a newer version");
            }
            else if (neverReached.Contains(work.Id))
            {
                settled = new WorkOutcome(work.Id, WorkState.Superseded, null, null, work.Attempts, "the earlier version never reached this address");
            }
            else if (alert.Expires is { } expires && expires <= now)
            {
                settled = new WorkOutcome(work.Id, WorkState.Expired, null, null, work.Attempts, "expired before delivery");
            }
            else if (AddressFor(channel.Name, work) is not { } address)
            {
                settled = new WorkOutcome(work.Id, WorkState.Gone, null, null, work.Attempts, "endpoint no longer active");
            }
            else
            {
                var key = $"{work.AlertId}:{work.Version}:{work.ResidentId:N}:{channel.Name}";
                if (!rendered.TryGetValue((work.AlertId, work.Version, work.Language), out var message))
                {
                    rendered[(work.AlertId, work.Version, work.Language)] = message = MessageRenderer.Render(alert, work.Language, channel.Limits);
                }

                items.Add(new DeliveryItem(work.Id, key, work.ResidentId, address, work.Secret, message) { Chunk = WorkIds.Item(work.Id) });
            }

            if (settled is not null && run.TryTake(work.Id, out _))
            {
                run.Post(work, settled);
            }
        }

        var renderMs = System.Diagnostics.Stopwatch.GetElapsedTime(renderStarted).TotalMilliseconds;
        if (items.Count == 0)
        {
            timings.Add(claimed.Select(w => w.AlertId), claimMs, renderMs, 0, 0);
            return;
        }

        using var activity = AlertHubTelemetry.ActivitySource.StartActivity("delivery.batch");
        activity?.SetTag("channel", channel.Name);
        activity?.SetTag("items", items.Count);
        var sendStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var batch = new DeliveryBatch(channel.Name, items)
        {
            Completed = result => Complete(channel, run, result),
            StillWanted = item => alerts.MayBeCurrent(item.Message.AlertId, item.Message.Version),
            Admit = async (admitted, ct) =>
            {
                foreach (var item in admitted)
                {
                    if (!alerts.MayBeCurrent(item.Message.AlertId, item.Message.Version))
                    {
                        return false;
                    }
                }

                // A node that stalled past its heartbeat sends nothing more of this batch until it knows it was not declared
                // dead meanwhile, and nothing at all if it was (the run asks the fence after the wait for send slots too).
                var admission = await run.AdmitAsync(admitted, fence, ct);
                if (admission.Dropped > 0)
                {
                    inHand.Done(admission.Dropped);
                    LogAbandoned(logger, channel.Name, admission.Dropped);
                }

                return admission.Admitted;
            },
        };
        var report = await resilience.For(channel.Name).ExecuteAsync(
            static async (state, ct) => await state.channel.SendAsync(state.batch, ct),
            (channel, batch), CancellationToken.None);
        var providerMs = System.Diagnostics.Stopwatch.GetElapsedTime(sendStarted).TotalMilliseconds;
        foreach (var result in report.Results)
        {
            Complete(channel, run, result);
        }

        // Items the channel left out because a newer version replaced them meanwhile are not needed; an item a
        // channel forgot must not be lost: it stays pending and is retried. An abandoned batch's rest is not this node's.
        foreach (var work in run.Abandoned ? [] : run.TakeRest())
        {
            run.Post(work, alerts.MayBeCurrent(work.AlertId, work.Version)
                ? Retry(work, null, "no result from channel", Now())
                : new WorkOutcome(work.Id, WorkState.Superseded, null, null, work.Attempts, "superseded by a newer version"));
        }

        timings.Add(claimed.Select(w => w.AlertId), claimMs, renderMs, providerMs, 0);
    }

    /// <summary>An item's outcome, as soon as the channel knows it (once per item; later reports of it are ignored).</summary>
    private void Complete(IDeliveryChannel channel, BatchRun run, DeliveryItemResult result)
    {
        if (!run.TryTake(result.WorkId, out var work))
        {
            return;
        }

        var nowMs = Now();
        var outcome = ToOutcome(work, result, nowMs);
        telemetry.DeliverySent.Add(1, new("channel", channel.Name), new("outcome", result.Outcome.ToString()));
        if (result.Outcome == DeliveryOutcome.Delivered)
        {
            telemetry.DeliveryLatency.Record(nowMs - work.QueuedAtMs, new KeyValuePair<string, object?>("channel", channel.Name));
        }
        else if (outcome.State == WorkState.Pending)
        {
            telemetry.DeliveryRetried.Add(1, new KeyValuePair<string, object?>("channel", channel.Name));
            if (result.Outcome == DeliveryOutcome.Throttled)
            {
                telemetry.DeliveryThrottled.Add(1, new KeyValuePair<string, object?>("channel", channel.Name));
            }
        }

        run.Post(work, outcome);
    }

    /// <summary>
    /// Writes outcomes as they arrive: each pass takes everything completed since the last one (so under load the
    /// writes group themselves), then prunes gone endpoints and reports progress. A recorded row is free for its
    /// next step at once (a retry, or the newer version that waited for it), so the channel is woken.
    /// </summary>
    private async Task RecordLoopAsync(IDeliveryChannel channel, System.Threading.Channels.ChannelReader<CompletedItem> reader, SemaphoreSlim slots,
        ClaimsInHand inHand, RetryWake retryWake)
    {
        var pending = new List<CompletedItem>();
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            pending.Clear();
            while (pending.Count < 5_000 && reader.TryRead(out var next))
            {
                pending.Add(next);
            }

            try
            {
                var recordStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                await RecordOutcomesAsync(channel.Name, pending);
                var soonestRetry = long.MaxValue;
                foreach (var c in pending)
                {
                    if (c.Outcome is { State: WorkState.Pending, Unsent: false, NextAttemptAtMs: { } due } && due < soonestRetry)
                    {
                        soonestRetry = due;
                    }
                }

                if (soonestRetry < long.MaxValue)
                {
                    retryWake.At(soonestRetry);
                }
                node.AddDelivered(pending.Count(c => c.Outcome.State == WorkState.Delivered && c.Outcome.Attempts > c.Work.Attempts));
                timings.AddRecording(pending.Select(c => c.Work.AlertId), System.Diagnostics.Stopwatch.GetElapsedTime(recordStarted).TotalMilliseconds);
                await AfterRecordingAsync(channel, pending);
            }
            catch (Exception e)
            {
                // Unrecorded rows stay claimed until their lease runs out, then are sent again: receivers dedupe on the delivery id.
                LogLoopFailure(channel.Name, e);
            }
            finally
            {
                // Slots come back even when the write failed: those rows stay claimed until their lease runs out.
                if (pending.Count(c => c.HoldsSlot) is > 0 and var held)
                {
                    slots.Release(held);
                }

                inHand.Done(pending.Count);

                signals.WakeHere(channel.Name);
            }
        }
    }

    /// <summary>
    /// Writes the outcomes, waiting out a store that is failing over or restarting (<see cref="IStoreFaults"/>) with a
    /// growing pause, for as long as the claims last. An outcome given up on leaves its row claimed until the lease runs
    /// out, and the item is then sent again; while this waits, the send slots stay held, so the channel starts nothing it
    /// could not record either.
    /// </summary>
    private async Task RecordOutcomesAsync(string channel, List<CompletedItem> pending)
    {
        var started = time.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(200);
        WorkOutcome[] outcomes = [.. pending.Select(c => c.Outcome)];
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // A failed write may have committed all the same (its answer lost with the primary): the next try skips
                // what it finds recorded, so nothing is counted twice.
                await (attempt == 1 ? outbox.RecordAsync(outcomes, Claimant, Now(), CancellationToken.None)
                    : outbox.RecordAgainAsync(outcomes, Claimant, Now(), CancellationToken.None));
                if (attempt > 1)
                {
                    LogRecordedAfterWaiting(logger, channel, pending.Count, time.GetElapsedTime(started).TotalSeconds);
                }

                return;
            }
            catch (Exception e) when (storeFaults.IsUnavailable(e) && time.GetElapsedTime(started) + pause < options.Value.ClaimLease)
            {
                if (attempt == 1)
                {
                    LogRecordWaiting(logger, channel, pending.Count, e.Message);
                }

                await Task.Delay(pause, time);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task AfterRecordingAsync(IDeliveryChannel channel, List<CompletedItem> recorded)
    {
        if (channel is IPresenceChannel presence)
        {
            await ReleaseReconnectedAsync(channel.Name, presence, recorded);
        }

        var pruned = new List<Guid>();
        foreach (var c in recorded)
        {
            if (c.Outcome.State == WorkState.Gone && c.Outcome.Attempts > c.Work.Attempts && c.Work.EndpointId is long endpointId
                && await residents.PruneEndpointAsync(endpointId, CancellationToken.None) is Guid residentId)
            {
                pruned.Add(residentId);
                telemetry.DeliveryPruned.Add(1, new KeyValuePair<string, object?>("channel", channel.Name));
            }
        }

        if (pruned.Count > 0)
        {
            await index.RefreshAsync(pruned, CancellationToken.None);
        }

        var counts = new Dictionary<(string, int), int[]>();
        foreach (var c in recorded)
        {
            if (c.Outcome.Attempts > c.Work.Attempts)
            {
                Count(counts, c.Work, c.Outcome);
            }
        }

        foreach (var ((alertId, version), c) in counts)
        {
            await staff.DeliveryProgressAsync(new DeliveryProgress(alertId, version, channel.Name, c[0], c[1], c[2], c[3], time.GetUtcNow()),
                CancellationToken.None);
        }
    }

    /// <summary>Items left waiting for residents who connected while the item was in flight are due now (see <see cref="IPresenceChannel"/>).</summary>
    private async Task ReleaseReconnectedAsync(string channel, IPresenceChannel presence, List<CompletedItem> recorded)
    {
        var released = 0;
        var waiting = recorded.Where(c => c.Outcome.State == WorkState.Pending).Select(c => c.Work.ResidentId).Distinct().ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        foreach (var residentId in await presence.ConnectedAsync(waiting, CancellationToken.None))
        {
            released += await outbox.ReleaseAsync(residentId, channel, Now(), CancellationToken.None);
        }

        if (released > 0)
        {
            signals.Wake(channel);
        }
    }

    /// <summary>The address to send to: a broadcast account, the resident themselves (SignalR), or their active endpoint.</summary>
    /// <summary>Each claimed member with the resident's endpoint on the channel and language as they are now.</summary>
    private async Task<IReadOnlyList<ClaimedWork>> WithAddressesAsync(string channel, IReadOnlyList<ClaimedWork> claimed, CancellationToken cancellationToken)
    {
        var found = await addresses.LookUpAsync(channel, [.. claimed.Select(w => w.ResidentId)], cancellationToken);
        var list = new ClaimedWork[claimed.Count];
        for (var k = 0; k < list.Length; k++)
        {
            var (endpoint, language) = found[k];
            list[k] = claimed[k] with
            {
                EndpointId = endpoint?.EndpointId, Address = endpoint?.Address, Secret = endpoint?.Secret, EndpointState = endpoint?.State, Language = language,
            };
        }

        return list;
    }

    private string? AddressFor(string channel, ClaimedWork work)
    {
        if (work.EndpointId is null)
        {
            return _broadcastTargets.TryGetValue(channel, out var targets) && targets.TryGetValue(work.ResidentId, out var account) ? account : null;
        }

        if (work.EndpointState is not "active" || work.Address is null)
        {
            return null;
        }

        return channel == Channels.SignalR.SignalRChannel.ChannelName ? work.ResidentId.ToString() : work.Address;
    }

    private WorkOutcome ToOutcome(ClaimedWork work, DeliveryItemResult result, long nowMs) => result.Outcome switch
    {
        DeliveryOutcome.Delivered => new WorkOutcome(work.Id, WorkState.Delivered, nowMs, null, work.Attempts + 1, null),
        DeliveryOutcome.AddressGone => new WorkOutcome(work.Id, WorkState.Gone, null, null, work.Attempts + 1, result.Detail),
        DeliveryOutcome.Rejected => new WorkOutcome(work.Id, WorkState.Failed, null, null, work.Attempts + 1, result.Detail),
        DeliveryOutcome.Throttled => Throttle(work, result.RetryAfter, result.Detail, nowMs),
        _ => Retry(work, result.RetryAfter, result.Detail, nowMs) with { MayHaveReached = result.MayHaveReached },
    };

    /// <summary>
    /// A failure: exponential backoff with jitter over the item's failures (throttles not counted), at least any
    /// Retry-After the provider gave; <see cref="DeliveryOptions.MaxAttempts"/> failures and it is marked failed.
    /// </summary>
    private WorkOutcome Retry(ClaimedWork work, TimeSpan? retryAfter, string? detail, long nowMs)
    {
        var o = options.Value;
        var attempts = work.Attempts + 1;
        var failures = attempts - work.Throttles;
        if (failures >= o.MaxAttempts)
        {
            return new WorkOutcome(work.Id, WorkState.Failed, null, null, attempts, $"gave up after {failures} failed attempts: {detail}");
        }

        var backoff = o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, failures - 1) * (0.8 + (Random.Shared.NextDouble() * 0.4));
        var delay = Math.Min(backoff, o.RetryMaxDelay.TotalMilliseconds);
        if (retryAfter is { } after)
        {
            delay = Math.Max(delay, after.TotalMilliseconds);
        }

        return new WorkOutcome(work.Id, WorkState.Pending, null, nowMs + (long)delay, attempts, detail, Throttles: work.Throttles);
    }

    /// <summary>
    /// The provider said "not now" (429, or 503 with Retry-After): come back when it said, plus up to 25 % jitter so
    /// the whole backlog does not return in the same instant, instead of backing off further with every answer —
    /// after an outage the backlog goes out as soon as the provider is back. Throttles do not use up
    /// <see cref="DeliveryOptions.MaxAttempts"/>; <see cref="DeliveryOptions.MaxThrottledAttempts"/> bounds them.
    /// </summary>
    private WorkOutcome Throttle(ClaimedWork work, TimeSpan? retryAfter, string? detail, long nowMs)
    {
        var o = options.Value;
        var attempts = work.Attempts + 1;
        var throttles = work.Throttles + 1;
        if (throttles >= o.MaxThrottledAttempts)
        {
            return new WorkOutcome(work.Id, WorkState.Failed, null, null, attempts, $"gave up after {throttles} throttled attempts: {detail}", Throttled: true);
        }

        var wait = retryAfter ?? o.RetryBaseDelay;
        var delay = Math.Min(wait.TotalMilliseconds * (1 + (Random.Shared.NextDouble() * 0.25)), o.RetryMaxDelay.TotalMilliseconds);
        return new WorkOutcome(work.Id, WorkState.Pending, null, nowMs + (long)delay, attempts, detail, Throttled: true, Throttles: throttles);
    }

    private static void Count(Dictionary<(string, int), int[]> counts, ClaimedWork work, WorkOutcome outcome)
    {
        if (!counts.TryGetValue((work.AlertId, work.Version), out var c))
        {
            counts[(work.AlertId, work.Version)] = c = new int[4];
        }

        var slot = outcome.State switch
        {
            WorkState.Delivered => 0,
            WorkState.Failed => 1,
            WorkState.Gone => 2,
            _ => 3,
        };
        c[slot]++;
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Released {Count} outbox rows an earlier process had claimed and not recorded; they are sent again")]
    private static partial void LogReleasedAtStart(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Released {Count} outbox rows whose claim had expired; they are sent again")]
    private static partial void LogLeasesExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: the store is unavailable ({Reason}); {Count} outcomes wait for it")]
    private static partial void LogRecordWaiting(ILogger logger, string channel, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: {Count} outcomes recorded after waiting {Seconds:0.0} s for the store")]
    private static partial void LogRecordedAfterWaiting(ILogger logger, string channel, int count, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: {Count} claimed items dropped unsent; this node was declared dead since it claimed them and another node sends them")]
    private static partial void LogAbandoned(ILogger logger, string channel, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: released {Count} outbox items this node had claimed without knowing (a claim failed as it committed); they are sent now")]
    private static partial void LogStrayClaimsReleased(ILogger logger, string channel, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: circuit open, pausing")]
    private static partial void LogCircuitOpen(ILogger logger, string channel);

    /// <summary>
    /// A database failing over (<see cref="IStoreFaults"/>) is expected and waited out by every loop: a warning without the
    /// stack trace. Anything else is an error. Before, a 5 s promotion wrote about a hundred error stack traces per node.
    /// </summary>
    private void LogLoopFailure(string channel, Exception e)
    {
        if (storeFaults.IsUnavailable(e))
        {
            LogLoopStoreUnavailable(logger, channel, e.GetBaseException().Message);
        }
        else
        {
            LogLoopError(logger, channel, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Channel {Channel}: delivery loop error")]
    private static partial void LogLoopError(ILogger logger, string channel, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: the store is unavailable ({Reason}); retrying")]
    private static partial void LogLoopStoreUnavailable(ILogger logger, string channel, string reason);
}
