namespace AlertHub.Server.Features.Health;

/// <summary>What /health reports: the store is open (migrated, caches loaded) and the delivery workers run.</summary>
internal sealed class HealthState
{
    private readonly TaskCompletionSource _storeReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool StoreReady => _storeReady.Task.IsCompletedSuccessfully;

    public string? StoreError { get; private set; }

    public bool WorkersRunning { get; set; }

    public void MarkStoreReady() => _storeReady.TrySetResult();

    public void MarkStoreFailed(string reason) => StoreError = reason;

    public Task WaitForStoreAsync(CancellationToken cancellationToken) => _storeReady.Task.WaitAsync(cancellationToken);
}
