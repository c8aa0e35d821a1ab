using AlertHub.Core.Cluster;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// Runs a job only while this node holds its lease: tries to take the lease every <see cref="ClusterLeaseOptions.RenewInterval"/>,
/// starts the job once it has it, renews it at the same pace, and cancels the job the moment the lease is lost — another node
/// holds it, or this node could not renew it in time (a database outage must not leave two nodes running one job). On a
/// clean stop the lease is released so another node takes the job over at once rather than after the time-to-live.
/// </summary>
internal sealed partial class ClusterLeaseRunner(
    IClusterLeases leases,
    ClusterNode node,
    IOptions<ClusterLeaseOptions> options,
    TimeProvider time,
    ILogger<ClusterLeaseRunner> logger)
{
    private readonly ClusterLeaseOptions _options = options.Value;

    /// <summary>Returns when <paramref name="stoppingToken"/> is cancelled; <paramref name="job"/> may end early (it is started again
    /// under a new lease) and gets a token that is cancelled when the lease is lost.</summary>
    /// <param name="holding">Told true when the job starts under the lease and false when it stops (for status pages).</param>
    public async Task RunAsync(string lease, Func<CancellationToken, Task> job, CancellationToken stoppingToken, Action<bool>? holding = null)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var validUntil = await TryAcquireAsync(lease, stoppingToken);
            if (validUntil is null)
            {
                if (!await DelayAsync(_options.RenewInterval, stoppingToken))
                {
                    return;
                }

                continue;
            }

            LogAcquired(logger, lease, node.Id);
            using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            LeaseRules.ArmDeadline(held, validUntil.Value, time);
            holding?.Invoke(true);
            var running = RunJobAsync(lease, job, held.Token);
            try
            {
                await HoldAsync(lease, validUntil.Value, running, held, stoppingToken);
            }
            finally
            {
                await held.CancelAsync();
                await running;
                holding?.Invoke(false);
                await ReleaseAsync(lease);
            }

            // A job that failed at once must not spin; a lost lease is not taken back before its holder's first renewal.
            if (!await DelayAsync(_options.RenewInterval, stoppingToken))
            {
                return;
            }
        }
    }

    /// <summary>Renews until the job ends, the lease is lost or the node stops; cancels <paramref name="held"/> when it must.</summary>
    private async Task HoldAsync(string lease, DateTimeOffset validUntil, Task running, CancellationTokenSource held, CancellationToken stoppingToken)
    {
        while (true)
        {
            var tick = Task.Delay(_options.RenewInterval, time, stoppingToken);
            await Task.WhenAny(running, tick);
            if (running.IsCompleted || stoppingToken.IsCancellationRequested)
            {
                if (held.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    LogLost(logger, lease, "it ran out before it was renewed");
                }

                return;
            }

            var asked = time.GetUtcNow();
            bool renewed;
            try
            {
                // Bounded by the lease itself: an answer that comes after it ran out is no use.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(LeaseRules.RenewalTimeout(validUntil, asked));
                renewed = await leases.TryAcquireAsync(lease, _options.TimeToLive, timeout.Token);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(logger, lease, e.Message);
                if (LeaseRules.MustGiveUpAfterFailedRenewal(time.GetUtcNow(), _options.RenewInterval, validUntil))
                {
                    LogLost(logger, lease, "it could not be renewed before it expired");
                    await held.CancelAsync();
                    return;
                }

                continue;
            }

            if (!renewed)
            {
                LogLost(logger, lease, "another node holds it");
                await held.CancelAsync();
                return;
            }

            validUntil = asked + _options.TimeToLive;
            LeaseRules.ArmDeadline(held, validUntil, time);
        }
    }

    /// <returns>Until when (this node's clock) the lease is surely ours, or null when another node holds it.</returns>
    private async Task<DateTimeOffset?> TryAcquireAsync(string lease, CancellationToken stoppingToken)
    {
        var asked = time.GetUtcNow();
        try
        {
            return await leases.TryAcquireAsync(lease, _options.TimeToLive, stoppingToken) ? asked + _options.TimeToLive : null;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogAcquireFailed(logger, lease, e.Message);
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task RunJobAsync(string lease, Func<CancellationToken, Task> job, CancellationToken token)
    {
        try
        {
            await Task.Run(() => job(token), CancellationToken.None);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The lease is given up below, so a node whose job keeps failing lets another node try.
            LogJobFailed(logger, lease, e);
        }
    }

    private async Task ReleaseAsync(string lease)
    {
        if (await LeaseRules.ReleaseAsync(leases, lease, time) is { } error)
        {
            // It expires by itself within the time-to-live.
            LogReleaseFailed(logger, lease, error);
        }
        else
        {
            LogReleased(logger, lease);
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {Lease} taken by this node ({Node}); its job runs here")]
    private static partial void LogAcquired(ILogger logger, string lease, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} lost ({Reason}); its job stopped on this node")]
    private static partial void LogLost(ILogger logger, string lease, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {Lease} released")]
    private static partial void LogReleased(ILogger logger, string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} could not be released ({Error}); it expires by itself")]
    private static partial void LogReleaseFailed(ILogger logger, string lease, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} could not be renewed: {Error}")]
    private static partial void LogRenewFailed(ILogger logger, string lease, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} could not be asked for: {Error}")]
    private static partial void LogAcquireFailed(ILogger logger, string lease, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The job under lease {Lease} failed; the lease is given up and asked for again")]
    private static partial void LogJobFailed(ILogger logger, string lease, Exception exception);
}
