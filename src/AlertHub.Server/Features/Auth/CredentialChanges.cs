namespace AlertHub.Server.Features.Auth;

/// <summary>
/// Tells whoever holds long-lived staff connections that a credential may have stopped being valid: a key revoked, a
/// user disabled, changed or deleted, a session ended. Publishing waits for the listeners, so when the API call that
/// revoked something answers, connections that depended on it are already closed.
/// </summary>
internal sealed class CredentialChanges
{
    private readonly Lock _gate = new();
    private Func<CancellationToken, Task>[] _listeners = [];

    public void Subscribe(Func<CancellationToken, Task> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }
    }

    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        foreach (var listener in _listeners)
        {
            await listener(cancellationToken);
        }
    }
}
