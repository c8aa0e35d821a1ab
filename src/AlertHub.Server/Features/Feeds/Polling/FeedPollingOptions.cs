namespace AlertHub.Server.Features.Feeds.Polling;

/// <summary>Configuration section <c>Feeds:Jma</c>: polling JMA's Atom PULL feeds (気象庁防災情報XML).</summary>
public sealed class FeedPollingOptions
{
    public const string Section = "Feeds:Jma";

    /// <summary>The high-frequency feeds a resident-alert hub needs (随時 and 地震火山).</summary>
    public static readonly IReadOnlyList<string> DefaultFeedUrls =
    [
        "https://www.data.jma.go.jp/developer/xml/feed/extra.xml",
        "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
    ];

    /// <summary>Poll at all. Default false: the poller does nothing unless configured.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Feeds to poll, in order. Default (when unset or empty) <see cref="DefaultFeedUrls"/>: extra.xml and eqvol.xml
    /// on www.data.jma.go.jp. Every URL, and every telegram URL a feed names, must pass <c>Security:OutboundUrls</c>.
    /// </summary>
    public List<string>? FeedUrls { get; set; }

    /// <summary>Time between polls of each feed. Default 60 s (JMA updates the high-frequency feeds every minute).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest telegram fetched; a bigger one is skipped (and not fetched again). Default 5 MB.</summary>
    public long MaxTelegramBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Largest feed document; a bigger one counts as a feed error. Default 10 MB (the long feeds are ~2–3 MB).</summary>
    public long MaxFeedBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Longest wait after repeated feed errors. A failing feed waits <see cref="Interval"/> × 2^(failures) with ±20%
    /// jitter, up to this. Default 10 min.
    /// </summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Telegrams fetched at once. Default 4.</summary>
    public int MaxConcurrentFetches { get; set; } = 4;

    /// <summary>
    /// How long a handled entry id is remembered (in SQLite, so restarts do not refetch). Ids still listed by a feed
    /// are kept regardless; keep this longer than the longest feed's window. Default 2 days.
    /// </summary>
    public TimeSpan SeenIdsRetention { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Timeout of one feed or telegram request. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Cycles a telegram may fail (network, HTTP error, intake exception) before it is given up and remembered as
    /// failed, so a telegram the server no longer has is not fetched forever. Default 10.
    /// </summary>
    public int MaxTelegramAttempts { get; set; } = 10;

    /// <summary>The feeds actually polled: <see cref="FeedUrls"/> or, when empty, <see cref="DefaultFeedUrls"/>.</summary>
    internal IReadOnlyList<string> EffectiveFeedUrls => FeedUrls is { Count: > 0 } urls ? urls : DefaultFeedUrls;
}
