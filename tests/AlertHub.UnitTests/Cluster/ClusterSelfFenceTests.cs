using AlertHub.Core.Cluster;
using AlertHub.Server.Features.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Cluster;

public sealed class ClusterSelfFenceTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task OneNode_AlwaysMaySend_WithoutAnyHeartbeat()
    {
        var fence = Fence(shared: false);

        Assert.True(fence.IsFresh);
        Assert.True(await fence.MaySendAsync(fence.Epoch, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Cluster_FreshOnlyWithinTwoThirdsOfTheNodeTimeoutOfTheLastBeatsStart()
    {
        var fence = Fence(shared: true);
        Assert.False(fence.IsFresh);

        fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: false);
        Assert.True(fence.IsFresh);
        _time.Advance(TimeSpan.FromMilliseconds(3_900));
        Assert.True(fence.IsFresh);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(fence.IsFresh);
    }

    [Fact]
    public async Task StalledNode_WaitsForItsNextBeat_AndSendsWhenItWasNotDeclaredDead()
    {
        var fence = Fence(shared: true);
        fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: false);
        var claimedIn = fence.Epoch;
        _time.Advance(TimeSpan.FromSeconds(10));

        var asking = fence.MaySendAsync(claimedIn, CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(asking.IsCompleted, "a node silent for 10 s sent without knowing whether it had been declared dead");

        fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: false);
        Assert.True(await asking.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task StalledNode_DeclaredDeadMeanwhile_DropsWhatItClaimedBefore_ButSendsWhatItClaimsAfter()
    {
        var fence = Fence(shared: true);
        fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: false);
        var claimedBefore = fence.Epoch;
        _time.Advance(TimeSpan.FromSeconds(10));

        var asking = fence.MaySendAsync(claimedBefore, CancellationToken.None).AsTask();
        var claiming = fence.WaitFreshAsync(CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(claiming.IsCompleted, "a stale node claimed work");

        fence.BeatSucceeded(_time.GetTimestamp(), wasDeclaredDead: true);
        Assert.False(await asking.WaitAsync(TimeSpan.FromSeconds(5)));
        await claiming.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotEqual(claimedBefore, fence.Epoch);
        Assert.True(await fence.MaySendAsync(fence.Epoch, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(await fence.MaySendAsync(claimedBefore, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Waiting_IsCancelledWithTheNode()
    {
        var fence = Fence(shared: true);
        using var stop = new CancellationTokenSource();

        var asking = fence.MaySendAsync(fence.Epoch, stop.Token).AsTask();
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => asking.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    private ClusterSelfFence Fence(bool shared) =>
        new(new FakeMembership(shared), Options.Create(new ClusterOptions { NodeTimeout = TimeSpan.FromSeconds(6) }), _time, NullLogger<ClusterSelfFence>.Instance);
}
