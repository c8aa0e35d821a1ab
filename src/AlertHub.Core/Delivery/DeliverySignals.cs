using System.Collections.Concurrent;

namespace AlertHub.Core.Delivery;

/// <summary>Wakes a channel's worker as soon as new work is written, so delivery does not wait for the poll.</summary>
internal sealed class DeliverySignals
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new();

    public void Wake(string channel) => Get(channel).Release();

    public void WakeAll()
    {
        foreach (var signal in _signals.Values)
        {
            signal.Release();
        }
    }

    public async Task WaitAsync(string channel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var signal = Get(channel);
        if (await signal.WaitAsync(timeout, cancellationToken))
        {
            // Several wake-ups collapse into one pass: the worker drains everything due anyway.
            while (signal.CurrentCount > 0)
            {
                await signal.WaitAsync(0, cancellationToken);
            }
        }
    }

    private SemaphoreSlim Get(string channel) => _signals.GetOrAdd(channel, _ => new SemaphoreSlim(0));
}
