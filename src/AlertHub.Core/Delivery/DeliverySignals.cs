using System.Collections.Concurrent;
using AlertHub.Core.Cluster;

namespace AlertHub.Core.Delivery;

/// <summary>
/// Wakes a channel's workers as soon as new work is written or released, so delivery does not wait for the poll — on
/// every node: work one node writes may be claimed by any node's workers (<see cref="ClusterTopics.DeliveryWake"/>).
/// </summary>
internal sealed class DeliverySignals
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new();
    private readonly ConcurrentDictionary<string, CoalescingRefresh> _announcements = new();
    private readonly IClusterEvents? _cluster;

    public DeliverySignals(IClusterEvents? cluster = null)
    {
        // Only when other nodes can exist: alone, the local wake-up is all there is.
        if (cluster is { SpansNodes: true })
        {
            _cluster = cluster;
            cluster.Subscribe(ClusterTopics.DeliveryWake, OnClusterWake);
        }
    }

    /// <summary>Work for <paramref name="channel"/> is due: this node's worker and every other node's wake.</summary>
    public void Wake(string channel)
    {
        WakeHere(channel);
        Announce(channel);
    }

    /// <summary>Work for any channel may be due (claims given back): every worker on every node wakes.</summary>
    public void WakeAll()
    {
        WakeAllHere();
        Announce(AllChannels);
    }

    /// <summary>This node's worker only (it has more to do itself, e.g. a send slot came back): no one else needs to hear.</summary>
    public void WakeHere(string channel) => Get(channel).Release();

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

    private const string AllChannels = "*";

    private void WakeAllHere()
    {
        foreach (var signal in _signals.Values)
        {
            signal.Release();
        }
    }

    /// <summary>
    /// One notification in flight per channel: wake-ups that come while one is being sent collapse into one more (a large
    /// fan-out wakes the channel once per part, and a worker that wakes drains everything due anyway).
    /// </summary>
    private void Announce(string channel)
    {
        if (_cluster is not { } cluster)
        {
            return;
        }

        // PublishAsync never throws for a broken connection (it logs); nothing is left to report here.
        _announcements.GetOrAdd(channel, c => new CoalescingRefresh(ct => cluster.PublishAsync(ClusterTopics.DeliveryWake, c, ct), _ => { })).Request();
    }

    private void OnClusterWake(ClusterEvent e)
    {
        if (e.FromThisNode)
        {
            return;
        }

        // After a resync, anything may have been written meanwhile: every worker looks.
        if (e.IsResync || e.Payload == AllChannels)
        {
            WakeAllHere();
        }
        else
        {
            WakeHere(e.Payload);
        }
    }

    private SemaphoreSlim Get(string channel) => _signals.GetOrAdd(channel, _ => new SemaphoreSlim(0));
}
