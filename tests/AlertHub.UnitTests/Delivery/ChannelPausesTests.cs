using AlertHub.Core.Cluster;
using AlertHub.Server.Features.Delivery;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Delivery;

public sealed class ChannelPausesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero));
    private readonly RecordingEvents _events = new();

    private ChannelPauses Create() => new(_events, _time, NullLogger<ChannelPauses>.Instance);

    [Fact]
    public void Pause_TellsTheOtherNodesHowLong_AndEndsWhenItsTimeIsUp()
    {
        using var pauses = Create();

        Assert.True(pauses.Pause("fcm", TimeSpan.FromSeconds(60)));

        Assert.Equal(("channels.pause", "fcm|60000"), Assert.Single(_events.Published));
        Assert.Equal(TimeSpan.FromSeconds(60), pauses.PausedFor("fcm"));
        Assert.Null(pauses.PausedFor("line"));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Null(pauses.PausedFor("fcm"));
    }

    [Fact]
    public void Pause_ShorterThanTheOneInForce_NeitherShortensItNorTellsAnyone()
    {
        using var pauses = Create();
        pauses.Pause("fcm", TimeSpan.FromSeconds(60));

        Assert.False(pauses.Pause("fcm", TimeSpan.FromSeconds(5)));

        Assert.Single(_events.Published);
        Assert.Equal(TimeSpan.FromSeconds(60), pauses.PausedFor("fcm"));
    }

    [Fact]
    public void NoticeFromAnotherNode_PausesHere_ForItsLengthFromNow()
    {
        using var pauses = Create();

        _events.Deliver(new ClusterEvent("channels.pause", "line|30000", FromThisNode: false));

        Assert.Equal(TimeSpan.FromSeconds(30), pauses.PausedFor("line"));
        Assert.Empty(_events.Published); // not echoed back
    }

    [Theory]
    [InlineData("fcm|-5")]
    [InlineData("fcm|soon")]
    [InlineData("fcm")]
    [InlineData("fcm|1|2")]
    public void NoticeThatIsMalformed_IsIgnored(string payload)
    {
        using var pauses = Create();

        _events.Deliver(new ClusterEvent("channels.pause", payload, FromThisNode: false));

        Assert.Null(pauses.PausedFor("fcm"));
    }

    [Fact]
    public void NoticeAskingForDays_IsCappedAtAnHour()
    {
        using var pauses = Create();

        _events.Deliver(new ClusterEvent("channels.pause", "fcm|864000000", FromThisNode: false));

        Assert.Equal(TimeSpan.FromHours(1), pauses.PausedFor("fcm"));
    }

    [Fact]
    public void NoticeFromThisNode_IsNotAppliedTwice()
    {
        using var pauses = Create();

        _events.Deliver(new ClusterEvent("channels.pause", "fcm|30000", FromThisNode: true));

        Assert.Null(pauses.PausedFor("fcm"));
    }

    private sealed class RecordingEvents : IClusterEvents
    {
        private readonly List<Action<ClusterEvent>> _handlers = [];

        public List<(string Topic, string Payload)> Published { get; } = [];

        public bool SpansNodes => true;

        public Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default)
        {
            Published.Add((topic, payload));
            return Task.CompletedTask;
        }

        public IDisposable Subscribe(string topic, Action<ClusterEvent> handler)
        {
            _handlers.Add(handler);
            return new Unsubscribe(() => _handlers.Remove(handler));
        }

        public void Deliver(ClusterEvent e)
        {
            foreach (var handler in _handlers.ToList())
            {
                handler(e);
            }
        }

        private sealed class Unsubscribe(Action action) : IDisposable
        {
            public void Dispose() => action();
        }
    }
}
