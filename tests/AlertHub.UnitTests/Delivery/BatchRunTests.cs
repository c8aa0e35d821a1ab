using System.Threading.Channels;
using AlertHub.Core.Cluster;
using AlertHub.Core.Delivery;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Delivery;
using AlertHub.UnitTests.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Delivery;

/// <summary>
/// A claimed batch's send slots and its fence. CI once saw a stalled node send one more item than it had in flight: the
/// request had passed the fence, then waited for a send slot across the stall, and went out when the slots were freed
/// by outcomes recorded after the node woke, before it learned it had been declared dead.
/// </summary>
public sealed class BatchRunTests
{
    private const int Capacity = 2;

    private readonly FakeTimeProvider _time = new();
    private readonly Channel<CompletedItem> _recorder = Channel.CreateUnbounded<CompletedItem>();
    private readonly SemaphoreSlim _slots = new(Capacity);
    private readonly SemaphoreSlim _admitting = new(1, 1);
    private readonly ClusterSelfFence _fence;

    public BatchRunTests()
    {
        _fence = new ClusterSelfFence(new FakeMembership(shared: true), Options.Create(new ClusterOptions { NodeTimeout = TimeSpan.FromSeconds(6) }), _time,
            NullLogger<ClusterSelfFence>.Instance);
        _fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: false);
    }

    [Fact]
    public async Task ARequestWaitingForASlotAcrossAStall_IsNotSent_WhenTheNodeWasDeclaredDeadMeanwhile()
    {
        var run = Run(3);
        Assert.True((await run.AdmitAsync([Item(1)], _fence, CancellationToken.None)).Admitted);
        Assert.True((await run.AdmitAsync([Item(2)], _fence, CancellationToken.None)).Admitted);

        // The third request passes the fence while the node is fresh, then waits: both slots are held by unrecorded items.
        var third = run.AdmitAsync([Item(3)], _fence, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(third.IsCompleted, "admitted a third item with two unrecorded and two slots");

        // The node stalls past its heartbeat, wakes, and its in-flight items complete and are recorded, freeing the slots.
        _time.Advance(TimeSpan.FromSeconds(10));
        Complete(run, 1);
        Complete(run, 2);
        RecordAll();
        await Task.Delay(100);
        Assert.False(third.IsCompleted, "a node silent for 10 s sent without knowing whether it had been declared dead");

        // Its next heartbeat says it was declared dead: the batch is another node's now.
        _fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: true);
        var admission = await third.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.False(admission.Admitted);
        Assert.Equal(1, admission.Dropped);
        Assert.True(run.Abandoned);
        Assert.Equal(Capacity, _slots.CurrentCount);
    }

    [Fact]
    public async Task Abandoning_GivesBackTheSlotsOfItemsStillInFlight_AndTheirLateOutcomesAreNotRecorded()
    {
        var run = Run(3);
        Assert.True((await run.AdmitAsync([Item(1)], _fence, CancellationToken.None)).Admitted);
        Assert.True((await run.AdmitAsync([Item(2)], _fence, CancellationToken.None)).Admitted);
        Assert.Equal(0, _slots.CurrentCount);

        _time.Advance(TimeSpan.FromSeconds(10));
        _fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: true);
        var admission = await run.AdmitAsync([Item(3)], _fence, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.False(admission.Admitted);
        Assert.Equal(3, admission.Dropped);
        // Items 1 and 2 will never be recorded here, so their slots must not stay taken: the node's later batches need them.
        Assert.Equal(Capacity, _slots.CurrentCount);
        Complete(run, 1);
        Assert.False(_recorder.Reader.TryRead(out _), "an abandoned batch's outcome went to the recorder");
        Assert.Equal(Capacity, _slots.CurrentCount);
    }

    [Fact]
    public async Task AnOutcomeRecorded_FreesItsSlot_OnceEvenWhenTheBatchIsAbandonedAfterwards()
    {
        var run = Run(3);
        Assert.True((await run.AdmitAsync([Item(1)], _fence, CancellationToken.None)).Admitted);
        Assert.True((await run.AdmitAsync([Item(2)], _fence, CancellationToken.None)).Admitted);
        Complete(run, 1);
        RecordAll();
        Assert.Equal(1, _slots.CurrentCount);

        Assert.Equal(2, run.Abandon());

        // Item 1's slot came back through its outcome, item 2's through the abandon; neither twice.
        Assert.Equal(Capacity, _slots.CurrentCount);
    }

    [Fact]
    public async Task ANodeThatWasNotDeclaredDead_SendsOnAfterItsNextBeat()
    {
        var run = Run(1);
        _time.Advance(TimeSpan.FromSeconds(10));

        var admitting = run.AdmitAsync([Item(1)], _fence, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(admitting.IsCompleted, "a stale node sent before its next heartbeat");
        _fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: false);

        Assert.Equal(new Admission(true, 0), await admitting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(Capacity - 1, _slots.CurrentCount);
    }

    private BatchRun Run(int items) =>
        new([.. Enumerable.Range(1, items).Select(i => new ClaimedWork(i, "a1b2", 1, Guid.NewGuid(), 0, 0, 0))], _recorder.Writer, _slots, _admitting,
            Capacity, _fence.Epoch);

    private static void Complete(BatchRun run, long id)
    {
        if (run.TryTake(id, out var work))
        {
            run.Post(work, new WorkOutcome(id, WorkState.Delivered, 1, null, 1, null));
        }
    }

    /// <summary>What the delivery workers' recorder does once outcomes are written: give back the slots they held.</summary>
    private void RecordAll()
    {
        while (_recorder.Reader.TryRead(out var item))
        {
            if (item.HoldsSlot)
            {
                _slots.Release();
            }
        }
    }

    private static DeliveryItem Item(long id) =>
        new(id, $"a1b2:1:{id}:webhook", Guid.NewGuid(), "https://receiver.example/hook", null,
            new RenderedMessage("a1b2", 1, "Alert", "Actual", "Severe", "Immediate", "洪水", "ja", "避難指示", "横手川が氾濫しました。", null, null,
                DateTimeOffset.UnixEpoch, null));
}
