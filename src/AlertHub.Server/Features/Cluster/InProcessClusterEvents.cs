using AlertHub.Core.Cluster;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// <see cref="IClusterEvents"/> for a hub that is its only node (SQLite, the default): a publish reaches this process's
/// subscribers before it returns, and there is nothing to lose, so there is never a resync.
/// </summary>
internal sealed partial class InProcessClusterEvents(ILogger<InProcessClusterEvents> logger) : IClusterEvents
{
    private readonly ClusterSubscriptions _subscriptions = new();

    public bool SpansNodes => false;

    public IDisposable Subscribe(string topic, Action<ClusterEvent> handler) => _subscriptions.Add(topic, handler);

    public Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (payload.Length > ClusterTopics.MaxPayloadLength)
        {
            // The same rule as on PostgreSQL, so a feature that breaks it fails on every engine, in its tests too.
            throw new ArgumentException($"A cluster notification carries ids, not documents: at most {ClusterTopics.MaxPayloadLength} characters.", nameof(payload));
        }

        var e = new ClusterEvent(topic, payload, FromThisNode: true);
        foreach (var handler in _subscriptions.HandlersOf(topic))
        {
            try
            {
                handler(e);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(logger, topic, ex);
            }
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster notifications: a subscriber of {Topic} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string topic, Exception exception);
}
