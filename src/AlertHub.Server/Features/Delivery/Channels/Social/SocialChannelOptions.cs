namespace AlertHub.Server.Features.Delivery.Channels.Social;

/// <summary>Configuration section <c>Channels:Social</c>: public posts of real alerts to the city's accounts.</summary>
public sealed class SocialChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Also post Exercise and Test alerts (marked 【訓練】/【試験】). Default false: drills stay off public timelines.</summary>
    public bool PostExercises { get; set; }

    /// <summary>Accounts to post to. Default none.</summary>
    public List<SocialAccountOptions> Accounts { get; set; } = [];

    /// <summary>Timeout of one post. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>One account under <c>Channels:Social:Accounts</c>.</summary>
public sealed class SocialAccountOptions
{
    /// <summary>A name for logs and the outbox, e.g. <c>mastodon-city</c>. Required, unique.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>mastodon</c> (POST /api/v1/statuses) or <c>x</c> (POST /2/tweets). Required.</summary>
    public string Kind { get; set; } = "";

    /// <summary>API base, e.g. <c>https://mastodon.example.jp</c> or <c>https://api.x.com</c>. Required.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Bearer token (Mastodon access token; X OAuth 2.0 user-context token). Required; never logged.</summary>
    public string AccessToken { get; set; } = "";

    /// <summary>Longest post. Default: 500 characters for Mastodon, 280 weighted characters for X (CJK count 2).</summary>
    public int? MaxLength { get; set; }
}
