namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>Configuration section <c>Channels:WebPush</c>.</summary>
public sealed class WebPushChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>VAPID application server public key, base64url of the uncompressed P-256 point. Default none: derived
    /// from <see cref="VapidPrivateKey"/>, or generated once and kept in <see cref="VapidKeyFile"/>.</summary>
    public string? VapidPublicKey { get; set; }

    /// <summary>VAPID private key, base64url of the 32-byte P-256 scalar. Default none (see <see cref="VapidPublicKey"/>).
    /// Changing it orphans every browser subscription made with the old key.</summary>
    public string? VapidPrivateKey { get; set; }

    /// <summary>VAPID <c>sub</c> claim: a <c>mailto:</c> or <c>https:</c> contact for push services. Default: <c>Hub:PublicBaseUrl</c>.</summary>
    public string? Subject { get; set; }

    /// <summary>Where generated VAPID keys are kept (owner-only), relative to <c>Storage:DataDirectory</c>. Default <c>webpush-vapid.json</c>.</summary>
    public string VapidKeyFile { get; set; } = "webpush-vapid.json";

    /// <summary>How long a VAPID JWT is valid (push services refuse more than 24 h); one is signed per push service
    /// origin and reused for half this time. Default 12 h.</summary>
    public TimeSpan VapidTokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>TTL header: how long the push service keeps a message for an offline browser, capped by the alert's
    /// expiry. Default 24 h.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The <c>url</c> the notification opens; <c>{alertId}</c> is replaced. Default
    /// <c>{Hub:PublicBaseUrl}/?alert={alertId}</c>.</summary>
    public string? NotificationUrl { get; set; }

    /// <summary>Items per batch. Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Requests in flight at once; also what a crash can send twice (see <c>ChannelLimits.MaxUnrecorded</c>).
    /// Default 128 (64 kept the whole city's pushes waiting on their own outcomes being written: docs/load-tests.md).</summary>
    public int MaxConcurrency { get; set; } = 128;

    /// <summary>Timeout of one POST to a push service. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retry delay after a 429 without a usable <c>Retry-After</c>. Default 60 s.</summary>
    public TimeSpan DefaultRetryAfter { get; set; } = TimeSpan.FromSeconds(60);
}
