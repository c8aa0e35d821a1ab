using AlertHub.Core.Cluster;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlertHub.UnitTests.Cluster;

public sealed class ClusterEventsTests
{
    [Fact]
    public async Task InProcess_Publish_ReachesThisNodesSubscribersOfThatTopicBeforeItReturns()
    {
        var events = new InProcessClusterEvents(NullLogger<InProcessClusterEvents>.Instance);
        var heard = new List<ClusterEvent>();
        events.Subscribe(ClusterTopics.Rules, heard.Add);
        events.Subscribe(ClusterTopics.Areas, _ => throw new InvalidOperationException("another topic"));

        await events.PublishAsync(ClusterTopics.Rules, "");

        Assert.Equal([new ClusterEvent(ClusterTopics.Rules, "", FromThisNode: true)], heard);
        Assert.False(events.SpansNodes);
    }

    [Fact]
    public async Task InProcess_FailingSubscriber_DoesNotKeepOthersFromHearingNorFailThePublisher()
    {
        var events = new InProcessClusterEvents(NullLogger<InProcessClusterEvents>.Instance);
        var heard = 0;
        events.Subscribe(ClusterTopics.Rules, _ => throw new InvalidOperationException("broken subscriber"));
        events.Subscribe(ClusterTopics.Rules, _ => heard++);

        await events.PublishAsync(ClusterTopics.Rules, "");

        Assert.Equal(1, heard);
    }

    [Fact]
    public async Task InProcess_DisposedSubscription_HearsNothingMore()
    {
        var events = new InProcessClusterEvents(NullLogger<InProcessClusterEvents>.Instance);
        var heard = 0;
        var subscription = events.Subscribe(ClusterTopics.Rules, _ => heard++);
        await events.PublishAsync(ClusterTopics.Rules, "");

        subscription.Dispose();
        await events.PublishAsync(ClusterTopics.Rules, "");

        Assert.Equal(1, heard);
    }

    [Fact]
    public async Task Publish_DocumentSizedPayload_IsRefused()
    {
        var events = new InProcessClusterEvents(NullLogger<InProcessClusterEvents>.Instance);

        await Assert.ThrowsAsync<ArgumentException>(() => events.PublishAsync(ClusterTopics.Areas, new string('x', ClusterTopics.MaxPayloadLength + 1)));
    }

    [Fact]
    public async Task CoalescingRefresh_RequestsWhileRunning_CollapseIntoOneMoreRun()
    {
        var runs = 0;
        var release = new TaskCompletionSource();
        var firstStarted = new TaskCompletionSource();
        var refresh = new CoalescingRefresh(async _ =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                firstStarted.SetResult();
                await release.Task;
            }
        }, e => throw e);

        var first = refresh.Request();
        await firstStarted.Task;
        for (var i = 0; i < 10; i++)
        {
            _ = refresh.Request();
        }

        release.SetResult();
        await first;

        Assert.Equal(2, runs);
        await refresh.Request();
        Assert.Equal(3, runs);
    }

    [Fact]
    public async Task CoalescingRefresh_FailingRun_IsReportedAndTheNextRequestRunsAgain()
    {
        var failures = new List<Exception>();
        var runs = 0;
        var refresh = new CoalescingRefresh(_ => ++runs == 1 ? throw new InvalidOperationException("store down") : Task.CompletedTask, failures.Add);

        await refresh.Request();
        await refresh.Request();

        Assert.Single(failures);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task DeliverySignals_SingleNode_WakeReachesTheLocalWorkerAndPublishesNothing()
    {
        var events = new InProcessClusterEvents(NullLogger<InProcessClusterEvents>.Instance);
        var published = 0;
        events.Subscribe(ClusterTopics.DeliveryWake, _ => published++);
        var signals = new DeliverySignals(events);

        signals.Wake("webhook");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await signals.WaitAsync("webhook", TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the local worker waited out its poll");
        Assert.Equal(0, published);
    }
}
