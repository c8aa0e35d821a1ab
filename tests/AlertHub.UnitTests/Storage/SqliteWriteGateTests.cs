using AlertHub.Server.Features.Storage.Sqlite;

namespace AlertHub.UnitTests.Storage;

public sealed class SqliteWriteGateTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Release_WithBothKindsWaiting_HandsTheSlotToEveryForegroundWriterBeforeAnyBackgroundOne()
    {
        var gate = new SqliteWriteGate();
        var order = new List<string>();
        var holder = await gate.EnterAsync(WriterKind.Background, CancellationToken.None);

        var waiters = new List<Task>
        {
            TakeAndLog(gate, WriterKind.Background, "claim 1", order),
            TakeAndLog(gate, WriterKind.Background, "record 1", order),
        };
        await WaitUntil(() => gate.Waiting == 2);
        waiters.Add(TakeAndLog(gate, WriterKind.Foreground, "part 2", order));
        await WaitUntil(() => gate.Waiting == 3);
        waiters.Add(TakeAndLog(gate, WriterKind.Foreground, "part 3", order));
        await WaitUntil(() => gate.Waiting == 4);

        holder.Dispose();
        await Task.WhenAll(waiters).WaitAsync(Patience);

        Assert.Equal(["part 2", "part 3", "claim 1", "record 1"], order);
    }

    [Fact]
    public async Task Enter_CancelledWhileWaiting_ThrowsAndTheSlotPassesToTheNextWaiter()
    {
        var gate = new SqliteWriteGate();
        var holder = await gate.EnterAsync(WriterKind.Background, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(WriterKind.Foreground, cancel.Token);
        var next = gate.EnterAsync(WriterKind.Background, CancellationToken.None);
        await WaitUntil(() => gate.Waiting == 2);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(next.IsCompleted);

        holder.Dispose();
        var slot = await next.WaitAsync(Patience);
        slot.Dispose();

        // Free again: an uncontended writer gets it at once.
        var again = gate.EnterAsync(WriterKind.Background, CancellationToken.None);
        Assert.True(again.IsCompletedSuccessfully);
        (await again).Dispose();
    }

    [Fact]
    public async Task Dispose_Twice_ReleasesTheSlotOnce()
    {
        var gate = new SqliteWriteGate();
        var first = await gate.EnterAsync(WriterKind.Foreground, CancellationToken.None);
        var second = gate.EnterAsync(WriterKind.Background, CancellationToken.None);
        var third = gate.EnterAsync(WriterKind.Background, CancellationToken.None);

        first.Dispose();
        first.Dispose();
        await second.WaitAsync(Patience);

        Assert.False(third.IsCompleted);
        (await second).Dispose();
        (await third.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task ManyWritersOfBothKindsAtOnce_NeverHoldTheSlotTogether_AndAllGetIt()
    {
        var gate = new SqliteWriteGate();
        var inside = 0;
        var most = 0;
        var done = 0;
        var writers = Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            using (await gate.EnterAsync(i % 3 == 0 ? WriterKind.Foreground : WriterKind.Background, CancellationToken.None))
            {
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
            }

            Interlocked.Increment(ref done);
        }));

        await Task.WhenAll(writers).WaitAsync(Patience);

        Assert.Equal(1, most);
        Assert.Equal(400, done);
        Assert.Equal(0, gate.Waiting);
    }

    private static async Task TakeAndLog(SqliteWriteGate gate, WriterKind kind, string name, List<string> order)
    {
        using (await gate.EnterAsync(kind, CancellationToken.None))
        {
            order.Add(name);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var actual && actual != seen)
        {
            seen = actual;
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Delay(5);
        }
    }
}
