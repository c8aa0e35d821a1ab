namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// Every channel's name: its key in the outbox, in <c>GET /api/channels</c>, in an alert's <c>channels</c> and in a
/// resident's endpoints. Its configuration section is <c>Channels:&lt;Name&gt;</c> with the hyphens left out
/// (configuration keys ignore case, so <c>cap-feed</c> reads <c>Channels:CapFeed</c>).
/// </summary>
internal static class ChannelNames
{
    public const string SignalR = "signalr";
    public const string Webhook = "webhook";
    public const string Fcm = "fcm";
    public const string WebPush = "webpush";
    public const string Line = "line";
    public const string Email = "email";
    public const string Social = "social";
    public const string Loudspeaker = "loudspeaker";
    public const string CapFeed = "cap-feed";
    public const string Voice = "voice";
    public const string Sms = "sms";
    public const string LAlert = "lalert";

    /// <summary>The configuration section of channel <paramref name="name"/>, e.g. <c>Channels:CapFeed</c> for <c>cap-feed</c>.</summary>
    public static string Section(string name) => "Channels:" + name.Replace("-", "", StringComparison.Ordinal);
}
