namespace AlertHub.Server.Features.Feeds.Polling;

/// <summary>One feed as the poller last saw it.</summary>
/// <param name="LastSuccessAt">Last 200 or 304.</param>
/// <param name="LastError">Last feed error (HTTP status, network, malformed, refused URL), kept after a later success.</param>
/// <param name="NextAttemptAt">When the feed is polled next (later than usual while backing off).</param>
/// <param name="EntriesInDocument">Entries in the last document parsed.</param>
internal sealed record FeedStatus(
    string Url,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? LastSuccessAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int ConsecutiveFailures,
    DateTimeOffset? NextAttemptAt,
    long Responses200,
    long Responses304,
    long Errors,
    int EntriesInDocument,
    bool Refused);

/// <summary>What /api/feeds/status shows about polling.</summary>
/// <param name="Polling">This node polls now: it holds the poller's cluster lease (always, on a single SQLite node).</param>
/// <param name="EntriesSeen">Entries the poller met for the first time (all feeds, since start).</param>
/// <param name="TelegramsFetched">Telegrams downloaded and handed to the intake.</param>
/// <param name="TelegramsFailed">Fetch or intake attempts that failed and will be retried.</param>
/// <param name="TelegramsSkipped">Telegrams given up for good: too large, URL refused, no URL, or out of attempts.</param>
internal sealed record FeedPollerSnapshot(
    bool Enabled,
    bool Polling,
    IReadOnlyList<FeedStatus> Feeds,
    long EntriesSeen,
    long TelegramsFetched,
    long TelegramsFailed,
    long TelegramsSkipped,
    string? LastError,
    DateTimeOffset? LastErrorAt);

/// <summary>Live counters of the JMA poller, a singleton the status API reads.</summary>
internal sealed class FeedPollerStatus
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, FeedStatus> _feeds = new(StringComparer.Ordinal);
    private long _entriesSeen;
    private long _telegramsFetched;
    private long _telegramsFailed;
    private long _telegramsSkipped;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    public bool Enabled { get; set; }

    public bool Polling { get; set; }

    public long EntriesSeen => Interlocked.Read(ref _entriesSeen);

    public long TelegramsFetched => Interlocked.Read(ref _telegramsFetched);

    public FeedPollerSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new FeedPollerSnapshot(Enabled, Polling, [.. _feeds.Values], EntriesSeen, TelegramsFetched,
                Interlocked.Read(ref _telegramsFailed), Interlocked.Read(ref _telegramsSkipped), _lastError, _lastErrorAt);
        }
    }

    public FeedStatus? Feed(string url)
    {
        lock (_gate)
        {
            return _feeds.GetValueOrDefault(url);
        }
    }

    internal void AddFeed(string url)
    {
        lock (_gate)
        {
            _feeds.TryAdd(url, new FeedStatus(url, null, null, null, null, 0, null, 0, 0, 0, 0, false));
        }
    }

    internal void FeedSucceeded(string url, DateTimeOffset at, bool notModified, int? entries, DateTimeOffset next) => Update(url, f => f with
    {
        LastAttemptAt = at,
        LastSuccessAt = at,
        ConsecutiveFailures = 0,
        NextAttemptAt = next,
        Responses200 = f.Responses200 + (notModified ? 0 : 1),
        Responses304 = f.Responses304 + (notModified ? 1 : 0),
        EntriesInDocument = entries ?? f.EntriesInDocument,
    });

    internal void FeedFailed(string url, DateTimeOffset at, string error, int failures, DateTimeOffset? next, bool refused = false)
    {
        Update(url, f => f with
        {
            LastAttemptAt = at,
            LastError = error,
            LastErrorAt = at,
            ConsecutiveFailures = failures,
            NextAttemptAt = next,
            Errors = f.Errors + 1,
            Refused = refused,
        });
        RecordError($"{url}: {error}", at);
    }

    internal void EntriesDiscovered(int count) => Interlocked.Add(ref _entriesSeen, count);

    internal void TelegramFetched() => Interlocked.Increment(ref _telegramsFetched);

    internal void TelegramFailed(string url, string error, DateTimeOffset at)
    {
        Interlocked.Increment(ref _telegramsFailed);
        RecordError($"{url}: {error}", at);
    }

    internal void TelegramSkipped(string url, string reason, DateTimeOffset at)
    {
        Interlocked.Increment(ref _telegramsSkipped);
        RecordError($"{url}: {reason}", at);
    }

    private void RecordError(string error, DateTimeOffset at)
    {
        lock (_gate)
        {
            _lastError = error;
            _lastErrorAt = at;
        }
    }

    private void Update(string url, Func<FeedStatus, FeedStatus> change)
    {
        lock (_gate)
        {
            var current = _feeds.GetValueOrDefault(url) ?? new FeedStatus(url, null, null, null, null, 0, null, 0, 0, 0, 0, false);
            _feeds[url] = change(current);
        }
    }
}
