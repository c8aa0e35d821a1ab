using System.Collections.Concurrent;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// One pipeline per channel over the durable outbox: claim due work in priority order, render, send through the
/// channel's resilience pipeline, record outcomes. Channels run independently, so a slow or failing channel
/// never holds up the others. On stop, the batch in flight finishes and is recorded before the loop exits,
/// and batches claimed but not yet sent stay pending, so a restart neither loses nor re-sends anything.
/// </summary>
internal sealed partial class DeliveryWorkers(
    ChannelRegistry channels,
    ChannelResilience resilience,
    OutboxStore outbox,
    AlertStore alerts,
    ResidentStore residents,
    TargetingService targeting,
    DeliverySignals signals,
    IEnumerable<IDeliveryProgressSink> progressSinks,
    IEnumerable<IBroadcastChannel> broadcastChannels,
    DeliveryTimings timings,
    HealthState health,
    AlertHubTelemetry telemetry,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryWorkers> logger) : BackgroundService
{
    private readonly Dictionary<string, Dictionary<Guid, string>> _broadcastTargets = broadcastChannels.ToDictionary(
        b => b.Name, b => b.Targets.ToDictionary(t => t.Id, t => t.Address));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        var loops = channels.All.Select(c => Task.Run(() => RunChannelAsync(c, stoppingToken), CancellationToken.None)).ToList();
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
    /// Three overlapping stages per channel: a claimer reads due rows (priority order) into a short queue, the
    /// sender renders and sends one batch at a time, and outcomes are recorded while the next batch is already
    /// sending. A row stays "in flight" from claim until its outcome is recorded, so it can never be claimed twice.
    /// </summary>
    private async Task RunChannelAsync(IDeliveryChannel channel, CancellationToken stoppingToken)
    {
        var inFlight = new ConcurrentDictionary<long, byte>();
        var queue = System.Threading.Channels.Channel.CreateBounded<(IReadOnlyList<ClaimedWork> Work, double ClaimMs)>(
            new System.Threading.Channels.BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var claimer = Task.Run(() => ClaimLoopAsync(channel, inFlight, queue.Writer, stoppingToken), CancellationToken.None);
        var recording = new Queue<Task>();
        await foreach (var (claimed, claimMs) in queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            if (stoppingToken.IsCancellationRequested)
            {
                // Claimed but not sent: leave it pending for the next start.
                Release(inFlight, claimed);
                continue;
            }

            BatchResult? result = null;
            try
            {
                // The send runs to completion even during shutdown (bounded by the batch timeout) so it gets recorded.
                result = await SendBatchAsync(channel, claimed, CancellationToken.None);
            }
            catch (BrokenCircuitException e)
            {
                LogCircuitOpen(logger, channel.Name);
                Release(inFlight, claimed);
                await DelayAsync(e.RetryAfter ?? options.Value.BreakerBreakDuration, stoppingToken);
            }
            catch (Exception e)
            {
                LogLoopError(logger, channel.Name, e);
                Release(inFlight, claimed);
                await DelayAsync(options.Value.PollInterval, stoppingToken);
            }

            if (result is not null)
            {
                recording.Enqueue(RecordBatchAsync(channel, claimed, result with { ClaimMs = claimMs }, inFlight));
                while (recording.Count > 1)
                {
                    await recording.Dequeue();
                }
            }
        }

        while (recording.Count > 0)
        {
            await recording.Dequeue();
        }

        await claimer;
    }

    private async Task ClaimLoopAsync(IDeliveryChannel channel, ConcurrentDictionary<long, byte> inFlight,
        System.Threading.Channels.ChannelWriter<(IReadOnlyList<ClaimedWork> Work, double ClaimMs)> queue, CancellationToken stoppingToken)
    {
        var o = options.Value;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // Rows in flight are still pending in the store: the claim skips them.
                    var claimStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                    var claimed = await outbox.ClaimDueAsync(channel.Name, channel.Limits.MaxBatchSize, time.GetUtcNow().ToUnixTimeMilliseconds(),
                        inFlight.ContainsKey, inFlight.Count, stoppingToken);
                    if (claimed.Count == 0)
                    {
                        await signals.WaitAsync(channel.Name, o.PollInterval, stoppingToken);
                        continue;
                    }

                    foreach (var work in claimed)
                    {
                        inFlight[work.Id] = 0;
                    }

                    await queue.WriteAsync((claimed, System.Diagnostics.Stopwatch.GetElapsedTime(claimStarted).TotalMilliseconds), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    LogLoopError(logger, channel.Name, e);
                    await DelayAsync(o.PollInterval, stoppingToken);
                }
            }
        }
        finally
        {
            queue.Complete();
        }
    }

    private static void Release(ConcurrentDictionary<long, byte> inFlight, IReadOnlyList<ClaimedWork> claimed)
    {
        foreach (var work in claimed)
        {
            inFlight.TryRemove(work.Id, out _);
        }
    }

    private sealed record BatchResult(List<WorkOutcome> Outcomes, Dictionary<(string, int), int[]> Counts, List<long> GoneEndpoints,
        double RenderMs = 0, double ProviderMs = 0, double ClaimMs = 0);

    private async Task<BatchResult> SendBatchAsync(IDeliveryChannel channel, IReadOnlyList<ClaimedWork> claimed, CancellationToken cancellationToken)
    {
        var renderStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var outcomes = new List<WorkOutcome>(claimed.Count);
        var items = new List<DeliveryItem>(claimed.Count);
        var byId = new Dictionary<long, ClaimedWork>(claimed.Count);
        foreach (var work in claimed)
        {
            var alert = await alerts.GetVersionAsync(work.AlertId, work.Version, cancellationToken);
            if (alert is null)
            {
                outcomes.Add(new WorkOutcome(work.Id, WorkState.Failed, null, null, work.Attempts, "alert version missing"));
            }
            else if (alert.Expires is { } expires && expires <= now)
            {
                outcomes.Add(new WorkOutcome(work.Id, WorkState.Expired, null, null, work.Attempts, "expired before delivery"));
            }
            else if (AddressFor(channel.Name, work) is not { } address)
            {
                outcomes.Add(new WorkOutcome(work.Id, WorkState.Gone, null, null, work.Attempts, "endpoint no longer active"));
            }
            else
            {
                var key = $"{work.AlertId}:{work.Version}:{work.ResidentId:N}:{channel.Name}";
                items.Add(new DeliveryItem(work.Id, key, work.ResidentId, address, work.Secret, MessageRenderer.Render(alert, work.Language, channel.Limits)));
                byId[work.Id] = work;
            }
        }

        var counts = new Dictionary<(string, int), int[]>();
        var gone = new List<long>();
        if (items.Count == 0)
        {
            return new BatchResult(outcomes, counts, gone);
        }

        var renderMs = System.Diagnostics.Stopwatch.GetElapsedTime(renderStarted).TotalMilliseconds;
        using var activity = AlertHubTelemetry.ActivitySource.StartActivity("delivery.batch");
        activity?.SetTag("channel", channel.Name);
        activity?.SetTag("items", items.Count);
        var sendStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var report = await resilience.For(channel.Name).ExecuteAsync(
            static async (state, ct) => await state.channel.SendAsync(state.batch, ct),
            (channel, batch: new DeliveryBatch(channel.Name, items)), cancellationToken);
        var providerMs = System.Diagnostics.Stopwatch.GetElapsedTime(sendStarted).TotalMilliseconds;
        var doneMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var result in report.Results)
        {
            if (!byId.Remove(result.WorkId, out var work))
            {
                continue;
            }

            var outcome = ToOutcome(work, result, doneMs);
            outcomes.Add(outcome);
            telemetry.DeliverySent.Add(1, new("channel", channel.Name), new("outcome", result.Outcome.ToString()));
            if (result.Outcome == DeliveryOutcome.Delivered)
            {
                telemetry.DeliveryLatency.Record(doneMs - work.QueuedAtMs, new KeyValuePair<string, object?>("channel", channel.Name));
            }
            else if (result.Outcome == DeliveryOutcome.AddressGone && work.EndpointId is long endpointId)
            {
                gone.Add(endpointId);
            }
            else if (outcome.State == WorkState.Pending)
            {
                telemetry.DeliveryRetried.Add(1, new KeyValuePair<string, object?>("channel", channel.Name));
                if (result.Outcome == DeliveryOutcome.Throttled)
                {
                    telemetry.DeliveryThrottled.Add(1, new KeyValuePair<string, object?>("channel", channel.Name));
                }
            }

            Count(counts, work, outcome);
        }

        // A channel that forgot an item must not lose it: it stays pending and is retried.
        foreach (var work in byId.Values)
        {
            outcomes.Add(Retry(work, null, "no result from channel", time.GetUtcNow().ToUnixTimeMilliseconds()));
        }

        return new BatchResult(outcomes, counts, gone, renderMs, providerMs);
    }

    /// <summary>Writes a batch's outcomes, prunes gone endpoints, reports progress; only then are its rows free to be claimed again.</summary>
    private async Task RecordBatchAsync(IDeliveryChannel channel, IReadOnlyList<ClaimedWork> claimed, BatchResult result, ConcurrentDictionary<long, byte> inFlight)
    {
        try
        {
            var recordStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            await outbox.RecordAsync(result.Outcomes, CancellationToken.None);
            if (channel is IPresenceChannel presence)
            {
                await ReleaseReconnectedAsync(channel.Name, presence, claimed, result.Outcomes);
            }

            timings.Add(claimed.Select(w => w.AlertId), result.ClaimMs, result.RenderMs, result.ProviderMs,
                System.Diagnostics.Stopwatch.GetElapsedTime(recordStarted).TotalMilliseconds);
            var pruned = new List<Guid>();
            foreach (var endpointId in result.GoneEndpoints)
            {
                if (await residents.PruneEndpointAsync(endpointId, CancellationToken.None) is Guid residentId)
                {
                    pruned.Add(residentId);
                    telemetry.DeliveryPruned.Add(1, new KeyValuePair<string, object?>("channel", channel.Name));
                }
            }

            if (pruned.Count > 0)
            {
                await targeting.RefreshAsync(pruned, CancellationToken.None);
            }

            foreach (var ((alertId, version), c) in result.Counts)
            {
                var progress = new DeliveryProgress(alertId, version, channel.Name, c[0], c[1], c[2], c[3], time.GetUtcNow());
                foreach (var sink in progressSinks)
                {
                    await sink.ReportAsync(progress, CancellationToken.None);
                }
            }
        }
        catch (Exception e)
        {
            // Unrecorded rows stay pending and are sent again later: receivers dedupe on the delivery id.
            LogLoopError(logger, channel.Name, e);
        }
        finally
        {
            Release(inFlight, claimed);
            signals.Wake(channel.Name);
        }
    }

    /// <summary>Items left waiting for residents who connected while the batch was in flight are due now (see <see cref="IPresenceChannel"/>).</summary>
    private async Task ReleaseReconnectedAsync(string channel, IPresenceChannel presence, IReadOnlyList<ClaimedWork> claimed, List<WorkOutcome> outcomes)
    {
        var waiting = outcomes.Where(o => o.State == WorkState.Pending).Select(o => o.Id).ToHashSet();
        var released = 0;
        foreach (var residentId in claimed.Where(w => waiting.Contains(w.Id)).Select(w => w.ResidentId).Distinct())
        {
            if (presence.IsConnected(residentId))
            {
                released += await outbox.ReleaseAsync(residentId, channel, time.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
            }
        }

        if (released > 0)
        {
            signals.Wake(channel);
        }
    }

    /// <summary>The address to send to: a broadcast account, the resident themselves (SignalR), or their active endpoint.</summary>
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
        _ => Retry(work, result.RetryAfter, result.Detail, nowMs),
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

        return new WorkOutcome(work.Id, WorkState.Pending, null, nowMs + (long)delay, attempts, detail);
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
        return new WorkOutcome(work.Id, WorkState.Pending, null, nowMs + (long)delay, attempts, detail, Throttled: true);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: circuit open, pausing")]
    private static partial void LogCircuitOpen(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Error, Message = "Channel {Channel}: delivery loop error")]
    private static partial void LogLoopError(ILogger logger, string channel, Exception exception);
}
