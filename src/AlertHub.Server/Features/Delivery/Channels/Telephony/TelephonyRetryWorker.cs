using AlertHub.Core.Delivery;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Health;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>
/// Places the calls a busy, no-answer or failed call scheduled (<see cref="VoiceChannelOptions.RetrySchedule"/>), at the
/// channel's pace. A retry is dropped when it is no longer wanted: the resident acknowledged the alert, a newer version (or a
/// cancel) replaced it, it expired, or the number was removed. Retries live in SQLite, so a restart keeps them.
/// </summary>
internal sealed partial class TelephonyRetryWorker(
    IEnumerable<TelephonyChannel> channels,
    TelephonyAttempts store,
    AlertRecords alerts,
    HealthState health,
    AlertHub.Core.Cluster.IClusterMembership membership,
    TimeProvider time,
    ILogger<TelephonyRetryWorker> logger) : BackgroundService
{
    /// <summary>How often due retries are looked for.</summary>
    internal static TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// On a shared store, a retry still 'placing' after this long was taken by a node that died: placing one is a single
    /// request to Twilio with a far shorter timeout. Another node's younger ones are left alone, or a phone would ring twice.
    /// </summary>
    internal static TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        // The one node of an embedded store: whatever is 'placing' was left by its earlier process.
        if (!membership.IsShared)
        {
            await store.ReleaseStuckRetriesAsync(stoppingToken);
        }

        var nextStuckCheck = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (membership.IsShared && time.GetUtcNow() >= nextStuckCheck)
                {
                    nextStuckCheck = time.GetUtcNow() + TimeSpan.FromSeconds(30);
                    await store.ReleaseStuckRetriesAsync(stoppingToken, StuckAfter);
                }

                var placed = 0;
                foreach (var channel in channels)
                {
                    foreach (var attempt in await store.ClaimDueAsync(channel.Name, 50, stoppingToken))
                    {
                        await RetryAsync(channel, attempt, stoppingToken);
                        placed++;
                    }
                }

                if (placed == 0)
                {
                    await Task.Delay(PollInterval, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogLoopError(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, CancellationToken.None);
            }
        }
    }

    private async Task RetryAsync(TelephonyChannel channel, TelephonyAttempt attempt, CancellationToken cancellationToken)
    {
        if (await WhyNotAsync(attempt, cancellationToken) is { } reason)
        {
            await store.MarkSkippedAsync(attempt.Id, reason, CancellationToken.None);
            return;
        }

        var result = await channel.PlaceAsync(attempt, cancellationToken);
        if (result.Outcome is DeliveryOutcome.Throttled or DeliveryOutcome.Transient)
        {
            var wait = result.RetryAfter ?? TimeSpan.FromSeconds(30);
            await store.RescheduleAsync(attempt.Id, time.GetUtcNow().Add(wait).ToUnixTimeMilliseconds(), result.Detail, CancellationToken.None);
        }
    }

    private async Task<string?> WhyNotAsync(TelephonyAttempt attempt, CancellationToken cancellationToken)
    {
        if (await alerts.GetHeadAsync(attempt.AlertId, cancellationToken) is not { } head)
        {
            return "the alert no longer exists";
        }

        if (head.CurrentVersion != attempt.Version || head.State != "issued")
        {
            return $"alert is now at version {head.CurrentVersion} ({head.State})";
        }

        if (await alerts.GetVersionAsync(attempt.AlertId, attempt.Version, cancellationToken) is { Expires: { } expires } && expires <= time.GetUtcNow())
        {
            return "the alert expired";
        }

        if (await store.IsAcknowledgedAsync(attempt.AlertId, attempt.ResidentId, cancellationToken))
        {
            return "the resident acknowledged the alert";
        }

        return await store.EndpointActiveAsync(attempt.ResidentId, attempt.Channel, attempt.Address, cancellationToken) ? null : "the number was removed";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Telephony retry loop error")]
    private static partial void LogLoopError(ILogger logger, Exception exception);
}
