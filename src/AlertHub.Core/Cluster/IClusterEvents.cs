namespace AlertHub.Core.Cluster;

/// <summary>
/// "Something changed" heard by every node of the hub: the in-memory caches (API keys, areas, rules, the targeting index)
/// and the delivery workers of every node learn within milliseconds what another node wrote. Payloads are short (ids,
/// names, a channel), never documents: a subscriber reads what it needs from the store. A single node (SQLite) delivers
/// in-process; on PostgreSQL every node listens on one connection (LISTEN/NOTIFY).
/// </summary>
/// <remarks>
/// Notifications are a fast path, not the record: the store is. A node that was not listening (connection lost, restart)
/// hears <see cref="ClusterEvent.IsResync"/> on every subscription once it listens again and must then reload in full or
/// catch up from the store; features that cannot afford a lost notification also check the store periodically.
/// </remarks>
internal interface IClusterEvents
{
    /// <summary>True when other nodes can exist (shared store): a subscriber may then skip work that only they need.</summary>
    bool SpansNodes { get; }

    /// <summary>
    /// Tells every node's subscribers of <paramref name="topic"/>, this node's at once (before this returns). Never throws
    /// for a broken connection (the change is already stored, and other nodes catch up): it logs and returns.
    /// </summary>
    /// <param name="payload">At most <see cref="ClusterTopics.MaxPayloadLength"/> characters.</param>
    Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default);

    /// <summary>
    /// Calls <paramref name="handler"/> for every event on <paramref name="topic"/> and for every resync. The handler runs on
    /// the listener's thread, in order: it must be quick and must not block (start async work and return); it should not
    /// throw (what it throws is logged). Dispose the result to stop.
    /// </summary>
    IDisposable Subscribe(string topic, Action<ClusterEvent> handler);
}

/// <param name="Topic">What changed (<see cref="ClusterTopics"/>).</param>
/// <param name="Payload">Which one: an id, a name, a channel; empty on a resync.</param>
/// <param name="FromThisNode">Published by this process (whose own caches were already updated by the writer).</param>
/// <param name="IsResync">Not a change: notifications may have been missed, so reload in full / catch up from the store.</param>
internal sealed record ClusterEvent(string Topic, string Payload, bool FromThisNode, bool IsResync = false);

/// <summary>The topics the hub's nodes publish, in one place so that docs/cluster.md and the code agree.</summary>
internal static class ClusterTopics
{
    /// <summary>
    /// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; the topic and the node id share that with the payload, so
    /// the payload itself is kept well below it.
    /// </summary>
    public const int MaxPayloadLength = 4000;

    /// <summary>Work written or released for a channel (payload: the channel name, or <c>*</c> for all): workers claim now.</summary>
    public const string DeliveryWake = "delivery.wake";

    /// <summary>An API key created (<c>+{id}:{sha256 hex}</c>) or revoked (<c>-{id}</c>).</summary>
    public const string ApiKeys = "auth.keys";

    /// <summary>A staff credential may have ended (user disabled, changed or deleted; session ended; key revoked): re-check open staff connections.</summary>
    public const string Credentials = "auth.credentials";

    /// <summary>Areas added (<c>+{id},{id}…</c>) or deleted (<c>-{id}</c>).</summary>
    public const string Areas = "areas";

    /// <summary>The rule set was saved: read it again.</summary>
    public const string Rules = "rules";

    /// <summary>
    /// Topics whose publish waits (at most a second) until every other listening node has applied it: the next request
    /// to any node already sees a revoked key refused, the saved rules, a deleted area gone.
    /// </summary>
    public static readonly IReadOnlySet<string> Acknowledged = new HashSet<string>(StringComparer.Ordinal) { ApiKeys, Credentials, Areas, Rules };

    /// <summary>
    /// A newer version of an alert was stored (payload <c>{alert id}:{version}</c>): workers of every node stop sending the
    /// older one's items still in their batch (the store's check before each batch is the record; this is the fast path).
    /// </summary>
    public const string AlertVersions = "alerts.version";

    /// <summary>A viewer asked a node that does not run the camera for its live relay (payload: the camera id): its holder starts or keeps it.</summary>
    public const string CameraLive = "cameras.live";

    /// <summary>Residents changed up to this change sequence (payload: the sequence): catch up the targeting index.</summary>
    public const string Residents = "residents";

    /// <summary>
    /// A provider told one node to stop sending on a channel for a while (FCM QUOTA_EXCEEDED, a 429 with Retry-After):
    /// payload <c>{channel}|{milliseconds}</c>. Every node pauses the channel as long, instead of each finding out by
    /// being refused in turn.
    /// </summary>
    public const string ChannelPauses = "channels.pause";
}
