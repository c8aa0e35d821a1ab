using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>When mobile-sim stops waiting for deliveries: quiet period 3 s, timeout 60 s.</summary>
public sealed class QuiescenceWaiterTests
{
    private readonly QuiescenceWaiter _waiter = new(TimeProvider.System, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(60));

    [Fact]
    public void QuiescenceWaiter_NothingArrivedButSomethingExpected_KeepsWaiting()
    {
        Assert.Null(_waiter.Decide(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), 0, expected: 5));
    }

    [Fact]
    public void QuiescenceWaiter_AllExpectedInAndQuietForThreeSeconds_IsDone()
    {
        Assert.False(_waiter.Decide(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), 5, expected: 5));
    }

    [Fact]
    public void QuiescenceWaiter_AllExpectedInButStillGrowing_KeepsWaitingForDuplicates()
    {
        Assert.Null(_waiter.Decide(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 6, expected: 5));
    }

    [Fact]
    public void QuiescenceWaiter_SomeMissingAndQuietForThreeSeconds_KeepsWaiting()
    {
        Assert.Null(_waiter.Decide(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), 4, expected: 5));
    }

    [Fact]
    public void QuiescenceWaiter_SomeMissingAndStalledFifteenSeconds_IsDone()
    {
        Assert.False(_waiter.Decide(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(15), 4, expected: 5));
    }

    [Fact]
    public async Task QuiescenceWaiter_DuplicatesMakeUpTheExpectedCount_KeepsWaitingForTheMissingResident()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var waiter = new QuiescenceWaiter(time, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(60));
        // Five expected: four distinct residents in, plus two re-sends after a kill (six receipts in all).
        var distinct = 4;
        var total = 6;

        var wait = waiter.WaitAsync(() => distinct, 5, CancellationToken.None, activity: () => total);
        for (var i = 0; i < 20; i++)
        {
            time.Advance(QuiescenceWaiter.PollInterval);
            await Task.Yield();
        }

        Assert.False(wait.IsCompleted, "six receipts of five expected ended the wait although one resident had nothing");
        distinct = 5;
        total = 7;
        for (var i = 0; i < 40 && !wait.IsCompleted; i++)
        {
            time.Advance(QuiescenceWaiter.PollInterval);
            await Task.Delay(1);
        }

        Assert.True(wait.IsCompleted);
        Assert.False((await wait).TimedOut);
    }

    [Fact]
    public void QuiescenceWaiter_NothingExpectedAndQuietForThreeSeconds_IsDone()
    {
        Assert.False(_waiter.Decide(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), 0, expected: 0));
    }

    [Fact]
    public void QuiescenceWaiter_TimeoutReachedWhileReceiptsArrive_TimesOut()
    {
        Assert.True(_waiter.Decide(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(0.1), 5, expected: 10));
    }
}
