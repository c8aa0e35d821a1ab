using System.Collections.Concurrent;
using System.Net;
using AlertHub.Core;
using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.Atom;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Feeds.Polling;

/// <summary>
/// Polls JMA's Atom PULL feeds: a conditional GET per feed each <see cref="FeedPollingOptions.Interval"/>, new
/// entries (by id, remembered in the store) fetched once each with bounded concurrency and handed to
/// <see cref="IFeedIntake"/>. A failing feed backs off exponentially with jitter; a failing telegram is tried again
/// next cycle; a hostile, oversize or refused document is skipped and reported, never fatal to the loop.
/// </summary>
/// <remarks>
/// One node of a cluster polls: the holder of the <see cref="LeaseName"/> lease (on SQLite, always this node). The seen ids
/// and the feeds' validators are in the store, so the node that takes polling over from a dead one asks "changed since?"
/// where it left off and fetches no telegram twice.
/// </remarks>
internal sealed partial class JmaFeedPoller(
    IHttpClientFactory httpClientFactory,
    IFeedIntake intake,
    FeedSeenEntries seen,
    FeedPollerStatus status,
    OutboundUrlPolicy urlPolicy,
    HealthState health,
    ClusterLeaseRunner leases,
    AlertHub.Core.Storage.IStoreFaults storeFaults,
    IOptions<FeedPollingOptions> options,
    TimeProvider time,
    ILogger<JmaFeedPoller> logger) : BackgroundService
{
    public const string HttpClientName = "feeds-jma";

    /// <summary>The lease whose holder polls (<see cref="AlertHub.Core.Cluster.IClusterLeases"/>).</summary>
    public const string LeaseName = "feeds.jma";

    /// <summary>Longer ETags are not kept: a validator is echoed back to the feed, and a feed's headers are hostile.</summary>
    private const int MaxETagLength = 512;

    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    private readonly FeedPollingOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        status.Enabled = true;
        var feeds = _options.EffectiveFeedUrls.Distinct(StringComparer.Ordinal).Select(u => new FeedState(u)).ToList();
        foreach (var feed in feeds)
        {
            status.AddFeed(feed.Url);
            // Checked once: configuration does not change under a running poller, and a refused feed must not spam the log.
            if (!urlPolicy.IsAllowed(feed.Url, out var reason))
            {
                feed.Refused = true;
                status.FeedFailed(feed.Url, time.GetUtcNow(), $"refused by Security:OutboundUrls: {reason}", 0, null, refused: true);
                LogFeedRefused(logger, feed.Url, reason);
            }
        }

        await leases.RunAsync(LeaseName, token => PollWhileHoldingAsync(feeds, token), stoppingToken, held => status.Polling = held);
    }

    /// <summary>Polls until <paramref name="stoppingToken"/> is cancelled: the node stops, or another node holds the lease.</summary>
    private async Task PollWhileHoldingAsync(List<FeedState> feeds, CancellationToken stoppingToken)
    {
        // Another node may have polled since this one last did: start from what the store says, not from memory.
        await seen.LoadAsync(stoppingToken);
        var validators = await seen.ValidatorsAsync(stoppingToken);
        foreach (var feed in feeds)
        {
            var stored = validators.GetValueOrDefault(feed.Url);
            feed.ETag = feed.SavedETag = stored?.ETag;
            feed.LastModified = feed.SavedLastModified = stored?.LastModified;
            feed.ListedIds = null;
            feed.NextAttemptAt = DateTimeOffset.MinValue;
        }

        var polled = feeds.Count(f => !f.Refused);
        LogStarted(logger, polled, _options.Interval, seen.Count);
        var client = httpClientFactory.CreateClient(HttpClientName);
        var nextPrune = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var cycleStart = time.GetUtcNow();
            foreach (var feed in feeds.Where(f => !f.Refused && f.NextAttemptAt <= time.GetUtcNow()))
            {
                try
                {
                    await PollFeedAsync(client, feed, stoppingToken);
                    await SaveValidatorsAsync(feed, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Belt and braces: nothing a feed or telegram does may end the poller.
                    LogCycleFailed(logger, feed.Url, e);
                    Backoff(feed, $"unexpected: {e.Message}");
                }
            }

            // Pruning needs every feed's current list of ids, which a 304 does not give: wait for a full read of each.
            if (time.GetUtcNow() >= nextPrune && feeds.All(f => f.Refused || f.ListedIds is not null))
            {
                nextPrune = time.GetUtcNow() + PruneEvery;
                await PruneAsync(feeds, stoppingToken);
            }

            var wait = cycleStart + _options.Interval - time.GetUtcNow();
            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Stores the feed's validators when they changed, so whichever node polls next asks "changed since?".</summary>
    private async Task SaveValidatorsAsync(FeedState feed, CancellationToken stoppingToken)
    {
        if (feed.ETag == feed.SavedETag && feed.LastModified == feed.SavedLastModified)
        {
            return;
        }

        await seen.SaveValidatorsAsync(new FeedValidators(feed.Url, feed.ETag, feed.LastModified), stoppingToken);
        feed.SavedETag = feed.ETag;
        feed.SavedLastModified = feed.LastModified;
    }

    private async Task PollFeedAsync(HttpClient client, FeedState feed, CancellationToken stoppingToken)
    {
        var at = time.GetUtcNow();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, feed.Url);
            if (feed.ETag is { } etag)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            }

            if (feed.LastModified is { } lastModified)
            {
                request.Headers.IfModifiedSince = lastModified;
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stoppingToken);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                Recovered(feed);
                status.FeedSucceeded(feed.Url, at, notModified: true, null, at + _options.Interval);
                return;
            }

            if (!response.IsSuccessStatusCode)
            {
                Backoff(feed, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                return;
            }

            var body = await BoundedRead.ReadAtMostAsync(response.Content, _options.MaxFeedBytes, stoppingToken)
                ?? throw new FeedRejectedException(CoreErrorCodes.FeedTooLarge, $"The feed is larger than {_options.MaxFeedBytes} bytes.");
            var document = AtomFeed.Parse(body, _options.MaxFeedBytes);
            feed.ListedIds = document.Entries.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            Recovered(feed);
            status.FeedSucceeded(feed.Url, at, notModified: false, document.Entries.Count, at + _options.Interval);

            var complete = await HandleEntriesAsync(client, feed.Url, document.Entries, stoppingToken);
            // Validators are kept only when every new entry was dealt with; otherwise the next poll must see the
            // entries again (a 304 would hide the telegrams still to retry).
            feed.ETag = complete && response.Headers.ETag?.ToString() is { Length: <= MaxETagLength } etagHeader ? etagHeader : null;
            feed.LastModified = complete ? response.Content.Headers.LastModified : null;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            Backoff(feed, $"timed out after {_options.RequestTimeout}");
        }
        catch (HttpRequestException e)
        {
            Backoff(feed, e.Message);
        }
        catch (FeedRejectedException e)
        {
            Backoff(feed, $"{e.Code}: {e.Message}");
        }
    }

    /// <returns>True when every new entry is now remembered (handed over or given up).</returns>
    private async Task<bool> HandleEntriesAsync(HttpClient client, string feedUrl, IReadOnlyList<AtomEntry> entries, CancellationToken stoppingToken)
    {
        var fresh = entries
            .Where(e => !seen.Contains(e.Id))
            .DistinctBy(e => e.Id, StringComparer.Ordinal)
            .OrderBy(e => e.Updated ?? DateTimeOffset.MaxValue) // feeds list newest first; the intake prefers history in order
            .ToList();
        if (fresh.Count == 0)
        {
            return true;
        }

        status.EntriesDiscovered(fresh.Count(e => _attempts.TryAdd(e.Id, 0)));
        var complete = true;
        await Parallel.ForEachAsync(
            fresh,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxConcurrentFetches), CancellationToken = stoppingToken },
            async (entry, token) =>
            {
                if (!await HandleEntryAsync(client, feedUrl, entry, token))
                {
                    complete = false;
                }
            });
        return complete;
    }

    /// <returns>True when the entry is finished with for good; false when it should be tried again next cycle.</returns>
    private async Task<bool> HandleEntryAsync(HttpClient client, string feedUrl, AtomEntry entry, CancellationToken stoppingToken)
    {
        var url = entry.DataUrl;
        if (url is null)
        {
            return await GiveUpAsync(feedUrl, entry, "no_url", "the entry names no http(s) URL", stoppingToken);
        }

        if (!urlPolicy.IsAllowed(url, out var reason))
        {
            return await GiveUpAsync(feedUrl, entry, "refused", $"refused by Security:OutboundUrls: {reason}", stoppingToken);
        }

        try
        {
            byte[]? bytes;
            using (var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stoppingToken))
            {
                if (!response.IsSuccessStatusCode)
                {
                    return await FailedAsync(feedUrl, entry, url, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", stoppingToken);
                }

                bytes = await BoundedRead.ReadAtMostAsync(response.Content, _options.MaxTelegramBytes, stoppingToken);
            }

            if (bytes is null)
            {
                return await GiveUpAsync(feedUrl, entry, "too_large", $"larger than {_options.MaxTelegramBytes} bytes", stoppingToken);
            }

            status.TelegramFetched();
            var result = await intake.AcceptAsync(FeedSource.Jma, bytes, url, stoppingToken);
            var outcome = result.Accepted ? "accepted" : result.Duplicate ? "duplicate" : $"rejected:{result.RejectionCode}";
            await seen.MarkAsync(entry.Id, feedUrl, url, outcome, time.GetUtcNow(), stoppingToken);
            _attempts.TryRemove(entry.Id, out _);
            LogHandedOver(logger, url, outcome);
            return true;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return await FailedAsync(feedUrl, entry, url, $"timed out after {_options.RequestTimeout}", stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested && storeFaults.IsUnavailable(e))
        {
            // The database is failing over: the telegram is not at fault, so this is no attempt against it. Given up after
            // MaxTelegramAttempts, a warning fetched during a long promotion would never be read.
            status.TelegramFailed(url, e.GetBaseException().Message, time.GetUtcNow());
            LogTelegramWaitsForStore(logger, url, e.GetBaseException().Message);
            return false;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            return await FailedAsync(feedUrl, entry, url, e.Message, stoppingToken);
        }
    }

    private async Task<bool> FailedAsync(string feedUrl, AtomEntry entry, string url, string error, CancellationToken stoppingToken)
    {
        var attempts = _attempts.AddOrUpdate(entry.Id, 1, (_, n) => n + 1);
        if (attempts >= _options.MaxTelegramAttempts)
        {
            return await GiveUpAsync(feedUrl, entry, "gave_up", $"{attempts} attempts failed, last: {error}", stoppingToken);
        }

        status.TelegramFailed(url, error, time.GetUtcNow());
        LogTelegramFailed(logger, url, attempts, error);
        return false;
    }

    private async Task<bool> GiveUpAsync(string feedUrl, AtomEntry entry, string outcome, string reason, CancellationToken stoppingToken)
    {
        var url = entry.DataUrl ?? entry.Id;
        try
        {
            await seen.MarkAsync(entry.Id, feedUrl, entry.DataUrl, outcome, time.GetUtcNow(), stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not remembered: it is met again next cycle and given up again, which is harmless.
            status.TelegramFailed(url, e.Message, time.GetUtcNow());
            return false;
        }

        _attempts.TryRemove(entry.Id, out _);
        status.TelegramSkipped(url, reason, time.GetUtcNow());
        LogTelegramSkipped(logger, url, reason);
        return true;
    }

    private void Recovered(FeedState feed)
    {
        if (feed.Failures > 0)
        {
            LogFeedRecovered(logger, feed.Url, feed.Failures);
        }

        feed.Failures = 0;
        feed.NextAttemptAt = time.GetUtcNow();
    }

    private void Backoff(FeedState feed, string error)
    {
        feed.Failures++;
        // Full validators are dropped: after an error the next successful poll must read the whole document.
        feed.ETag = null;
        feed.LastModified = null;
        var exponential = _options.Interval.TotalMilliseconds * Math.Pow(2, Math.Min(feed.Failures, 30));
        var jittered = Math.Min(exponential, _options.MaxBackoff.TotalMilliseconds) * (0.8 + (Random.Shared.NextDouble() * 0.4));
        var delay = TimeSpan.FromMilliseconds(Math.Min(jittered, _options.MaxBackoff.TotalMilliseconds));
        var now = time.GetUtcNow();
        feed.NextAttemptAt = now + delay;
        status.FeedFailed(feed.Url, now, error, feed.Failures, feed.NextAttemptAt);
        LogFeedFailed(logger, feed.Url, feed.Failures, delay, error);
    }

    private async Task PruneAsync(List<FeedState> feeds, CancellationToken stoppingToken)
    {
        try
        {
            var listed = feeds.SelectMany(f => f.ListedIds ?? []).ToHashSet(StringComparer.Ordinal);
            var pruned = await seen.PruneAsync(time.GetUtcNow() - _options.SeenIdsRetention, listed, stoppingToken);
            if (pruned > 0)
            {
                LogPruned(logger, pruned);
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogPruneFailed(logger, e);
        }
    }

    private sealed class FeedState(string url)
    {
        public string Url { get; } = url;
        public bool Refused { get; set; }
        public string? ETag { get; set; }
        public DateTimeOffset? LastModified { get; set; }
        public string? SavedETag { get; set; }
        public DateTimeOffset? SavedLastModified { get; set; }
        public int Failures { get; set; }
        public DateTimeOffset NextAttemptAt { get; set; } = DateTimeOffset.MinValue;
        /// <summary>Ids the last full read listed; null until this node has read the feed in full since it took the lease.</summary>
        public HashSet<string>? ListedIds { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "JMA feed poller polling on this node: {Feeds} feeds every {Interval}; {Remembered} entry ids remembered")]
    private static partial void LogStarted(ILogger logger, int feeds, TimeSpan interval, int remembered);

    [LoggerMessage(Level = LogLevel.Error, Message = "JMA feed {Url} refused and not polled: {Reason}")]
    private static partial void LogFeedRefused(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JMA feed {Url} failed ({Failures} in a row), next try in {Delay}: {Error}")]
    private static partial void LogFeedFailed(ILogger logger, string url, int failures, TimeSpan delay, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "JMA feed {Url} recovered after {Failures} failures")]
    private static partial void LogFeedRecovered(ILogger logger, string url, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "JMA feed {Url}: unexpected error in the poll cycle")]
    private static partial void LogCycleFailed(ILogger logger, string url, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram {Url} waits for the store, which is unavailable ({Reason}); retried next cycle, not counted as an attempt")]
    private static partial void LogTelegramWaitsForStore(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram {Url} failed (attempt {Attempts}), retried next cycle: {Error}")]
    private static partial void LogTelegramFailed(ILogger logger, string url, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram {Url} skipped for good: {Reason}")]
    private static partial void LogTelegramSkipped(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telegram {Url} handed to the intake: {Outcome}")]
    private static partial void LogHandedOver(ILogger logger, string url, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} old feed entry ids")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning old feed entry ids failed; retried in an hour")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
