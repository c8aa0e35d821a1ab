using AlertHub.Core.Cluster;

namespace AlertHub.Server.Features.Auth;

/// <summary>
/// Tells whoever holds long-lived staff connections that a credential may have stopped being valid: a key revoked, a
/// user disabled, changed or deleted, a session ended. Publishing waits for this node's listeners, so when the API call
/// that revoked something answers, connections that depended on it here are already closed; every other node hears it
/// through <see cref="ClusterTopics.Credentials"/> and checks its own connections at once (and again after a resync).
/// </summary>
internal sealed partial class CredentialChanges
{
    private readonly Lock _gate = new();
    private readonly IClusterEvents _cluster;
    private readonly CoalescingRefresh _remote;
    private Func<CancellationToken, Task>[] _listeners = [];

    public CredentialChanges(IClusterEvents cluster, ILogger<CredentialChanges> logger)
    {
        _cluster = cluster;
        _remote = new CoalescingRefresh(NotifyListenersAsync, e => LogCheckFailed(logger, e));
        cluster.Subscribe(ClusterTopics.Credentials, e =>
        {
            if (!e.FromThisNode)
            {
                _ = _remote.Request();
            }
        });
    }

    public void Subscribe(Func<CancellationToken, Task> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }
    }

    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        await NotifyListenersAsync(cancellationToken);
        await _cluster.PublishAsync(ClusterTopics.Credentials, "", cancellationToken);
    }

    private async Task NotifyListenersAsync(CancellationToken cancellationToken)
    {
        foreach (var listener in _listeners)
        {
            await listener(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Staff connections: checking credentials after another node's change failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
