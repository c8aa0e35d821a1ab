using System.Collections.Concurrent;

namespace AlertHub.Core.Cluster;

/// <summary>
/// Named mutual exclusion across every node sharing the store: work that must happen one at a time cluster-wide (feed
/// intake, whose rules read the state the previous event left) takes the lock for its whole duration. A node that dies
/// while holding it lets go with its database session.
/// </summary>
internal interface IClusterLocks
{
    /// <summary>Waits for the lock named <paramref name="name"/>; disposing the result releases it.</summary>
    Task<IAsyncDisposable> AcquireAsync(string name, CancellationToken cancellationToken);

    /// <summary>Takes the lock if nobody holds it; null (at once) when someone does.</summary>
    Task<IAsyncDisposable?> TryAcquireAsync(string name, CancellationToken cancellationToken);
}

/// <summary>The embedded store's locks: one process, so a semaphore per name.</summary>
internal sealed class InProcessClusterLocks : IClusterLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public async Task<IAsyncDisposable> AcquireAsync(string name, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Held(gate);
    }

    public async Task<IAsyncDisposable?> TryAcquireAsync(string name, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(0, cancellationToken) ? new Held(gate) : null;
    }

    private sealed class Held(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
