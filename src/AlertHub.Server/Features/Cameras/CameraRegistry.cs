using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Adding, changing and removing cameras: the store's write, then <see cref="Changed"/>, so that the supervisor reconciles its
/// workers at once instead of at its next pass. Everything else reads and writes <see cref="ICameraStore"/> directly.
/// </summary>
internal sealed class CameraRegistry(ICameraStore store)
{
    /// <summary>Raised after a camera was saved or deleted (in this process).</summary>
    public event Action? Changed;

    /// <inheritdoc cref="ICameraStore.SaveAsync"/>
    public async Task SaveAsync(CameraRecord camera, CameraCredentials? credentials, bool isNew, CancellationToken cancellationToken)
    {
        await store.SaveAsync(camera, credentials, isNew, cancellationToken);
        Changed?.Invoke();
    }

    /// <inheritdoc cref="ICameraStore.DeleteAsync"/>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(id, cancellationToken);
        if (deleted)
        {
            Changed?.Invoke();
        }

        return deleted;
    }
}
