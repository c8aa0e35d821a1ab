namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>How the channel addresses LINE users.</summary>
public enum LineSendMode
{
    /// <summary><c>POST /v2/bot/message/multicast</c>: the targeted residents, up to 500 user ids per request.</summary>
    Multicast,

    /// <summary><c>POST /v2/bot/message/push</c>: one request per targeted resident.</summary>
    Push,

    /// <summary><c>POST /v2/bot/message/broadcast</c>: every friend of the official account, whoever was targeted.
    /// One request per alert version in <see cref="LineChannelOptions.BroadcastLanguage"/>.</summary>
    Broadcast,

    /// <summary><c>POST /v2/bot/message/narrowcast</c> to the audience <see cref="LineChannelOptions.NarrowcastAudienceGroupId"/>.
    /// One request per alert version; LINE answers 202 and sends asynchronously.</summary>
    Narrowcast,
}

/// <summary>The message object the channel sends.</summary>
public enum LineMessageFormat
{
    /// <summary>A text message: headline, body, instruction and area (≤ 5,000 UTF-16 code units).</summary>
    Text,

    /// <summary>A Flex bubble with a coloured headline, the body and the instruction; altText ≤ 400 characters.</summary>
    Flex,
}

/// <summary>Configuration section <c>Channels:Line</c> (LINE Messaging API).</summary>
public sealed class LineChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>The channel access token sent as <c>Authorization: Bearer</c>. Required when enabled; never logged.</summary>
    public string ChannelAccessToken { get; set; } = "";

    /// <summary>The channel secret that signs webhooks (<c>X-Line-Signature</c>). Without it every webhook is refused. Default empty.</summary>
    public string ChannelSecret { get; set; } = "";

    /// <summary>Messaging API base URL. Default <c>https://api.line.me</c>; tests point it at a loopback fake.</summary>
    public string BaseUrl { get; set; } = "https://api.line.me";

    /// <summary>Multicast (default), Push, Broadcast or Narrowcast. LINE can target no finer than a prefecture, so only
    /// Multicast and Push respect the hub's area and audience targeting.</summary>
    public LineSendMode Mode { get; set; } = LineSendMode.Multicast;

    /// <summary>Text (default) or Flex.</summary>
    public LineMessageFormat MessageFormat { get; set; } = LineMessageFormat.Text;

    /// <summary>Audience group id for <see cref="LineSendMode.Narrowcast"/> (required in that mode). Default null.</summary>
    public long? NarrowcastAudienceGroupId { get; set; }

    /// <summary>Language of the single message Broadcast and Narrowcast send (everyone gets the same one). Default <c>ja</c>.</summary>
    public string BroadcastLanguage { get; set; } = "ja";

    /// <summary>Outbox items per batch; a batch becomes one multicast request per 500 recipients of the same message. Default 5000.</summary>
    public int MaxBatchSize { get; set; } = 5000;

    /// <summary>User ids per multicast request, 1–500 (LINE's maximum). Default 500.</summary>
    public int MulticastChunkSize { get; set; } = 500;

    /// <summary>Requests one batch may have in flight. Default 16.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Client-side rate limit for multicast, requests per second (LINE allows 200). 0 turns it off. Default 200.</summary>
    public int MulticastRequestsPerSecond { get; set; } = 200;

    /// <summary>Client-side rate limit for push, requests per second (LINE allows 2,000). 0 turns it off. Default 2000.</summary>
    public int PushRequestsPerSecond { get; set; } = 2000;

    /// <summary>How long to wait after a 429 (LINE sends no Retry-After). Default 60 s.</summary>
    public TimeSpan ThrottleBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of one request. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Tag push and multicast requests with <c>customAggregationUnits</c> = the alert version (22-character base62
    /// alert id, <c>_</c>, version) so LINE's unit statistics show opens per alert. LINE allows it only for accounts that
    /// applied for it (and 1,000 units a month), so it is off by default.</summary>
    public bool AggregationUnits { get; set; }

    /// <summary>How long webhook event ids are remembered to drop redeliveries. Default 7 days.</summary>
    public TimeSpan WebhookEventRetention { get; set; } = TimeSpan.FromDays(7);
}
