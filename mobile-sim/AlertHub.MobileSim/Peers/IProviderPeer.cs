namespace AlertHub.MobileSim.Peers;

/// <summary>What a resident registers with the hub for one channel.</summary>
internal sealed record SimEndpoint(string Channel, string? Address, string? Secret = null, IReadOnlyDictionary<string, string>? Keys = null);

/// <summary>
/// A provider the hub delivers through (FCM, LINE, a Web Push service, SMTP, Mastodon…), faked on 127.0.0.1
/// following the provider's published contract, errors included. It records what it accepted as
/// <see cref="Report.Receipt"/>s in the run's <see cref="Report.ReceiptLog"/>, so tests and load runs measure
/// reach, duplicates and latency the same way for every channel.
/// </summary>
internal interface IProviderPeer : IAsyncDisposable
{
    /// <summary>The hub channel name this peer serves ("fcm", "webpush", "line", "email", …).</summary>
    string Channel { get; }

    /// <summary>Configuration the hub needs to talk to this peer, e.g. <c>Channels:Fcm:BaseUrl</c> = http://127.0.0.1:PORT.</summary>
    IReadOnlyDictionary<string, string?> HubSettings { get; }

    /// <summary>The endpoint a simulated resident registers (a device token, subscription, LINE user id, address…).
    /// Deterministic for the resident's external id.</summary>
    SimEndpoint EndpointFor(string externalId);
}
