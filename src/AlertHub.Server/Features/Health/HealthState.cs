namespace AlertHub.Server.Features.Health;

/// <summary>What /health reports: the store is open (migrated, caches loaded) and the delivery workers run.</summary>
internal sealed class HealthState
{
    private readonly TaskCompletionSource _storeReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool StoreReady => _storeReady.Task.IsCompletedSuccessfully;

    public string? StoreError { get; private set; }

    public bool WorkersRunning { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _degraded = new();

    /// <summary>Parts that do not work while the hub serves (e.g. cameras without ffmpeg): reported, not fatal.</summary>
    public IReadOnlyDictionary<string, string> Degraded => _degraded;

    /// <summary>The degraded component that says the database is failing over (unreachable or read-only), for /health and the node tab.</summary>
    public const string StoreFailingOver = "store";

    /// <summary>The degraded component that says the cluster's Redis is unreachable or failing over (set by the Cluster feature).</summary>
    public const string RedisFailingOver = "redis";

    public void SetDegraded(string component, string reason) => _degraded[component] = reason;

    public void ClearDegraded(string component) => _degraded.TryRemove(component, out _);

    public void MarkStoreReady() => _storeReady.TrySetResult();

    public void MarkStoreFailed(string reason) => StoreError = reason;

    public Task WaitForStoreAsync(CancellationToken cancellationToken) => _storeReady.Task.WaitAsync(cancellationToken);
}
