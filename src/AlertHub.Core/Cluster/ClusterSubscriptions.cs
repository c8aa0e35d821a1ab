using System.Collections.Immutable;

namespace AlertHub.Core.Cluster;

/// <summary>
/// Who listens to which topic, for the <see cref="IClusterEvents"/> implementations: they call <see cref="HandlersOf"/> and
/// run each handler themselves (with their own logging).
/// </summary>
internal sealed class ClusterSubscriptions
{
    private ImmutableDictionary<string, ImmutableArray<Action<ClusterEvent>>> _byTopic =
        ImmutableDictionary<string, ImmutableArray<Action<ClusterEvent>>>.Empty.WithComparers(StringComparer.Ordinal);

    public IDisposable Add(string topic, Action<ClusterEvent> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(handler);
        ImmutableInterlocked.Update(ref _byTopic, d => d.SetItem(topic, d.GetValueOrDefault(topic, []).Add(handler)));
        return new Subscription(this, topic, handler);
    }

    public ImmutableArray<Action<ClusterEvent>> HandlersOf(string topic) => _byTopic.GetValueOrDefault(topic, []);

    /// <summary>Every subscription, each with its topic (a resync goes to all of them).</summary>
    public IEnumerable<(string Topic, Action<ClusterEvent> Handler)> All() =>
        _byTopic.SelectMany(kv => kv.Value.Select(h => (kv.Key, h)));

    private void Remove(string topic, Action<ClusterEvent> handler) =>
        ImmutableInterlocked.Update(ref _byTopic, d => d.TryGetValue(topic, out var list) ? d.SetItem(topic, list.Remove(handler)) : d);

    private sealed class Subscription(ClusterSubscriptions owner, string topic, Action<ClusterEvent> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(topic, handler);
            }
        }
    }
}

/// <summary>
/// Runs an async refresh when asked, never two at once, and once more if asked while running (requests in between collapse
/// into that one run) — what a notification handler uses to start a reload without blocking the listener.
/// </summary>
internal sealed class CoalescingRefresh(Func<CancellationToken, Task> refresh, Action<Exception> onError)
{
    private int _state; // 0 idle, 1 running, 2 running and asked again

    /// <summary>Completes when the run this request started (or joined) has finished; never throws.</summary>
    public Task Request()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case 0 when Interlocked.CompareExchange(ref _state, 1, 0) == 0:
                    return Task.Run(RunAsync);
                case 1 when Interlocked.CompareExchange(ref _state, 2, 1) == 1:
                case 2:
                    return Task.CompletedTask;
            }
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await refresh(CancellationToken.None);
            }
            catch (Exception e)
            {
                onError(e);
            }

            // Asked again while running: run once more (the change may have come after our read). Else go idle.
            if (Interlocked.CompareExchange(ref _state, 1, 2) == 2)
            {
                continue;
            }

            if (Interlocked.CompareExchange(ref _state, 0, 1) == 1)
            {
                return;
            }
        }
    }
}
