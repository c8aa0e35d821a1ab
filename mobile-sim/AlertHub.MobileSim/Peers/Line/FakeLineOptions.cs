namespace AlertHub.MobileSim.Peers.Line;

/// <summary>Settings of <see cref="FakeLine"/>.</summary>
internal sealed class FakeLineOptions
{
    /// <summary>The port load runs use by default.</summary>
    public const int DefaultLoadPort = 5092;

    /// <summary>Port on 127.0.0.1; 0 picks a free one (tests). Default 0.</summary>
    public int Port { get; set; }

    /// <summary>The only channel access token accepted as <c>Authorization: Bearer</c>.</summary>
    public string AccessToken { get; set; } = "fake-line-channel-access-token";

    /// <summary>The channel secret that signs the webhooks the fake sends.</summary>
    public string ChannelSecret { get; set; } = "fake-line-channel-secret-0123456789ab";

    /// <summary>The bot's own user id, sent as <c>destination</c> in webhooks.</summary>
    public string BotUserId { get; set; } = "U" + new string('b', 32);

    /// <summary>Multicast token bucket, requests per second (LINE: 200). The bucket holds one second's worth.</summary>
    public double MulticastPerSecond { get; set; } = 200;

    /// <summary>Push token bucket, requests per second (LINE: 2,000).</summary>
    public double PushPerSecond { get; set; } = 2000;

    /// <summary>Broadcast and narrowcast token buckets, requests per hour each (LINE: 60).</summary>
    public double BroadcastPerHour { get; set; } = 60;

    /// <summary>How long an accepted <c>X-Line-Retry-Key</c> answers 409 (LINE: 24 hours).</summary>
    public TimeSpan RetryKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Treat every well-formed user id as a friend, not only those added with EndpointFor/AddFriend/follow.</summary>
    public bool AcceptUnknownUsers { get; set; }

    /// <summary>How long an accepted request waits before it is answered (the messages are already delivered): a slow
    /// API, during which a hub that sent the request may die without knowing it was accepted. Default none.</summary>
    public TimeSpan AnswerDelay { get; set; }
}
