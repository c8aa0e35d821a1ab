using System.Diagnostics;
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
/// One loop per channel over the durable outbox: claim due work in priority order, render, send through the
/// channel's resilience pipeline, record outcomes. Channels run independently, so a slow or failing channel
/// never holds up the others. On stop, the batch in flight finishes and is recorded before the loop exits,
/// so a restart neither loses nor re-sends it.
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

    private async Task RunChannelAsync(IDeliveryChannel channel, CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimed = await outbox.ClaimDueAsync(channel.Name, channel.Limits.MaxBatchSize, time.GetUtcNow().ToUnixTimeMilliseconds(), stoppingToken);
                if (claimed.Count == 0)
                {
                    await signals.WaitAsync(channel.Name, o.PollInterval, stoppingToken);
                    continue;
                }

                // The send and the bookkeeping run to completion even during shutdown (bounded by the batch timeout).
                await ProcessBatchAsync(channel, claimed, CancellationToken.None);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (BrokenCircuitException e)
            {
                LogCircuitOpen(logger, channel.Name);
                await DelayAsync(e.RetryAfter ?? o.BreakerBreakDuration, stoppingToken);
            }
            catch (Exception e)
            {
                LogLoopError(logger, channel.Name, e);
                await DelayAsync(o.PollInterval, stoppingToken);
            }
        }
    }

    private async Task ProcessBatchAsync(IDeliveryChannel channel, IReadOnlyList<ClaimedWork> claimed, CancellationToken cancellationToken)
    {
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
        if (items.Count > 0)
        {
            using var activity = AlertHubTelemetry.ActivitySource.StartActivity("delivery.batch");
            activity?.SetTag("channel", channel.Name);
            activity?.SetTag("items", items.Count);
            var report = await resilience.For(channel.Name).ExecuteAsync(
                static async (state, ct) => await state.channel.SendAsync(state.batch, ct),
                (channel, batch: new DeliveryBatch(channel.Name, items)), cancellationToken);
            var doneMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            var pruned = new List<Guid>();
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
                    if (await residents.PruneEndpointAsync(endpointId, cancellationToken) is Guid residentId)
                    {
                        pruned.Add(residentId);
                        telemetry.DeliveryPruned.Add(1, new KeyValuePair<string, object?>("channel", channel.Name));
                    }
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

            if (pruned.Count > 0)
            {
                await targeting.RefreshAsync(pruned, cancellationToken);
            }
        }

        await outbox.RecordAsync(outcomes, cancellationToken);
        foreach (var ((alertId, version), c) in counts)
        {
            var progress = new DeliveryProgress(alertId, version, channel.Name, c[0], c[1], c[2], c[3], time.GetUtcNow());
            foreach (var sink in progressSinks)
            {
                await sink.ReportAsync(progress, cancellationToken);
            }
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
        DeliveryOutcome.Throttled => Retry(work, result.RetryAfter, result.Detail, nowMs) with { Throttled = true },
        _ => Retry(work, result.RetryAfter, result.Detail, nowMs),
    };

    private WorkOutcome Retry(ClaimedWork work, TimeSpan? retryAfter, string? detail, long nowMs)
    {
        var o = options.Value;
        var attempts = work.Attempts + 1;
        if (attempts >= o.MaxAttempts)
        {
            return new WorkOutcome(work.Id, WorkState.Failed, null, null, attempts, $"gave up after {attempts} attempts: {detail}");
        }

        var backoff = o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempts - 1) * (0.8 + (Random.Shared.NextDouble() * 0.4));
        var delay = Math.Min(backoff, o.RetryMaxDelay.TotalMilliseconds);
        if (retryAfter is { } after)
        {
            delay = Math.Max(delay, after.TotalMilliseconds);
        }

        return new WorkOutcome(work.Id, WorkState.Pending, null, nowMs + (long)delay, attempts, detail);
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
