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
