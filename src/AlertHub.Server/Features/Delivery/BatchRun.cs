using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using AlertHub.Core.Delivery;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Cluster;

namespace AlertHub.Server.Features.Delivery;

/// <summary>An item's outcome on its way to the recorder; <paramref name="HoldsSlot"/> when it was admitted to send (see
/// <see cref="BatchRun.AdmitAsync"/>): the recorder gives that send slot back once the outcome is written.</summary>
internal readonly record struct CompletedItem(ClaimedWork Work, WorkOutcome Outcome, bool HoldsSlot);

/// <summary>What <see cref="BatchRun.AdmitAsync"/> decided: whether the request may go out, and how many of the batch's items
/// were dropped because the node learned it had been declared dead (they are another node's now).</summary>
internal readonly record struct Admission(bool Admitted, int Dropped);

/// <summary>
/// One claimed batch on its way through a channel: every row gets exactly one outcome, whichever comes first (the channel's
/// report as the item completes, the batch's final report, or a release), and every item admitted to send holds one of the
/// channel's send slots until its outcome is recorded.
/// </summary>
/// <param name="recorder">Where outcomes go to be written.</param>
/// <param name="slots">The channel's send slots: at most <c>MaxUnrecorded</c> items sent and not yet recorded.</param>
/// <param name="admitting">One request's items are admitted together, one request at a time: two multicasts each holding
/// half the slots they need would otherwise wait for each other for ever.</param>
/// <param name="capacity">The number of send slots.</param>
/// <param name="epoch">The node's <see cref="ClusterSelfFence.Epoch"/> when the batch was claimed.</param>
internal sealed class BatchRun(IReadOnlyList<ClaimedWork> claimed, ChannelWriter<CompletedItem> recorder, SemaphoreSlim slots,
    SemaphoreSlim admitting, int capacity, long epoch)
{
    private int _abandoned;

    private readonly ConcurrentDictionary<long, ClaimedWork> _open = new(claimed.Select(w => KeyValuePair.Create(w.Id, w)));
    private readonly ConcurrentDictionary<long, byte> _admitted = new();

    public IReadOnlyList<ClaimedWork> Claimed => claimed;

    public long Epoch => epoch;

    /// <summary>The node was declared dead after claiming this batch: what is left of it is another node's now.</summary>
    public bool Abandoned => Volatile.Read(ref _abandoned) == 1;

    /// <summary>
    /// Admits one request's items: asks the fence whether this batch may still be sent, waits for a send slot per item (one
    /// is free once an earlier outcome is recorded), and asks the fence again. The wait for slots can outlast a stall: a
    /// node stopped while it waited wakes to find its slots freed by outcomes it recorded before it learned it was declared
    /// dead, and must not send on that. A request larger than the whole capacity takes all of it (it could never get more).
    /// </summary>
    public async ValueTask<Admission> AdmitAsync(IReadOnlyList<DeliveryItem> items, ClusterSelfFence fence, CancellationToken cancellationToken)
    {
        if (Abandoned || !await fence.MaySendAsync(epoch, cancellationToken))
        {
            return new Admission(false, Abandon());
        }

        await admitting.WaitAsync(cancellationToken);
        try
        {
            for (var i = 0; i < items.Count && i < capacity; i++)
            {
                await slots.WaitAsync(cancellationToken);
                _admitted[items[i].WorkId] = 0;
            }
        }
        finally
        {
            admitting.Release();
        }

        if (Abandoned || !await fence.MaySendAsync(epoch, cancellationToken))
        {
            return new Admission(false, Abandon());
        }

        return new Admission(true, 0);
    }

    /// <summary>
    /// Drops what has no outcome yet, unrecorded (another node claimed it since), and gives back the send slots its admitted
    /// items held (their outcomes will never be recorded here); returns how many were dropped.
    /// </summary>
    public int Abandon()
    {
        Interlocked.Exchange(ref _abandoned, 1);
        var dropped = TakeRest().Count();
        // Every slot is given back through exactly one TryRemove: here, or in Post for an item whose outcome came first.
        var held = _admitted.Keys.Count(id => _admitted.TryRemove(id, out _));
        if (held > 0)
        {
            slots.Release(held);
        }

        return dropped;
    }

    public bool TryTake(long id, [NotNullWhen(true)] out ClaimedWork? work) => _open.TryRemove(id, out work);

    public void Post(ClaimedWork work, WorkOutcome outcome) => recorder.TryWrite(new CompletedItem(work, outcome, _admitted.TryRemove(work.Id, out _)));

    public IEnumerable<ClaimedWork> TakeRest()
    {
        foreach (var id in _open.Keys.ToList())
        {
            if (_open.TryRemove(id, out var work))
            {
                yield return work;
            }
        }
    }

    /// <summary>Gives back what has no outcome yet: Pending again, attempts unchanged (not for an abandoned batch: not ours).</summary>
    public void ReleaseRest(bool mayHaveReached, long nowMs)
    {
        if (Abandoned)
        {
            return;
        }

        foreach (var work in TakeRest())
        {
            Post(work, new WorkOutcome(work.Id, WorkState.Pending, null, nowMs, work.Attempts, "released unsent", MayHaveReached: mayHaveReached,
                Unsent: true, Throttles: work.Throttles));
        }
    }
}
