using AlertHub.Server.Features.Cameras;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Cameras;

public sealed class CameraHealthTrackerTests
{
    private static readonly FreshnessThresholds Limits = new(StaleAfter: TimeSpan.FromSeconds(22), OfflineAfter: TimeSpan.FromSeconds(35),
        FrozenAfterIdentical: 3, Debounce: TimeSpan.FromSeconds(3));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 9, 1, 3, 0, 0, TimeSpan.Zero));

    private static byte[] Image(int n) => [0xFF, 0xD8, (byte)n, 0xFF, 0xD9];

    [Fact]
    public void Thresholds_ScaleWithTheSnapshotInterval()
    {
        var limits = FreshnessThresholds.For(new CamerasOptions(), TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(22), limits.StaleAfter);
        Assert.Equal(TimeSpan.FromSeconds(35), limits.OfflineAfter);
        var alert = FreshnessThresholds.For(new CamerasOptions(), TimeSpan.FromSeconds(300));
        Assert.Equal(TimeSpan.FromSeconds(602), alert.StaleAfter);
    }

    [Fact]
    public void FirstImage_CommitsOnlineAtOnce()
    {
        var tracker = new CameraHealthTracker(_time);
        Assert.Null(tracker.Evaluate(Limits));
        tracker.ImageReceived(Image(1));
        var transition = tracker.Evaluate(Limits);
        Assert.NotNull(transition);
        Assert.Equal((CameraStatuses.Online, CameraStatuses.Unknown), (transition.Status, transition.Previous));
        Assert.Equal(_time.GetUtcNow(), transition.At);
    }

    [Fact]
    public void NoImageEver_BecomesOfflineAfterTheOfflineThreshold()
    {
        var tracker = new CameraHealthTracker(_time);
        _time.Advance(TimeSpan.FromSeconds(34));
        Assert.Null(tracker.Evaluate(Limits));
        Assert.Equal(CameraStatuses.Unknown, tracker.Status);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(CameraStatuses.Offline, tracker.Evaluate(Limits)?.Status);
    }

    [Fact]
    public void ImagesStop_StaleThenOffline_EachAfterItsThresholdPlusDebounce()
    {
        var tracker = new CameraHealthTracker(_time);
        tracker.ImageReceived(Image(1));
        tracker.Evaluate(Limits);

        _time.Advance(TimeSpan.FromSeconds(22));
        Assert.Null(tracker.Evaluate(Limits));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(tracker.Evaluate(Limits)); // stale observed, debounce running
        Assert.Equal(CameraStatuses.Online, tracker.Status);
        _time.Advance(TimeSpan.FromSeconds(3));
        var stale = tracker.Evaluate(Limits);
        Assert.Equal((CameraStatuses.Stale, CameraStatuses.Online), (stale?.Status, stale?.Previous));
        Assert.Contains("26 s old", stale!.Reason, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(10)); // 36 s: offline observed
        Assert.Null(tracker.Evaluate(Limits));
        _time.Advance(TimeSpan.FromSeconds(3));
        var offline = tracker.Evaluate(Limits);
        Assert.Equal((CameraStatuses.Offline, CameraStatuses.Stale), (offline?.Status, offline?.Previous));
        Assert.Equal(CameraStatuses.Offline, tracker.Status);
    }

    [Fact]
    public void ShortBlip_ShorterThanTheDebounce_IsNotRecorded()
    {
        var tracker = new CameraHealthTracker(_time);
        tracker.ImageReceived(Image(1));
        tracker.Evaluate(Limits);
        _time.Advance(TimeSpan.FromSeconds(23));
        Assert.Null(tracker.Evaluate(Limits));
        _time.Advance(TimeSpan.FromSeconds(2));
        tracker.ImageReceived(Image(2));
        Assert.Null(tracker.Evaluate(Limits));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(tracker.Evaluate(Limits));
        Assert.Equal(CameraStatuses.Online, tracker.Status);
    }

    [Fact]
    public void IdenticalSnapshots_BecomeFrozen_AndANewPictureThawsIt()
    {
        var tracker = new CameraHealthTracker(_time);
        tracker.ImageReceived(Image(7));
        tracker.Evaluate(Limits);
        for (var i = 0; i < 2; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            tracker.ImageReceived(Image(7));
        }

        Assert.Equal(3, tracker.IdenticalRun);
        Assert.Null(tracker.Evaluate(Limits));
        _time.Advance(TimeSpan.FromSeconds(3));
        var frozen = tracker.Evaluate(Limits);
        Assert.Equal(CameraStatuses.Frozen, frozen?.Status);
        Assert.Contains("3 consecutive", frozen!.Reason, StringComparison.Ordinal);

        tracker.ImageReceived(Image(8));
        Assert.Equal(1, tracker.IdenticalRun);
        Assert.Null(tracker.Evaluate(Limits));
        _time.Advance(TimeSpan.FromSeconds(3));
        var thawed = tracker.Evaluate(Limits);
        Assert.Equal((CameraStatuses.Online, CameraStatuses.Frozen), (thawed?.Status, thawed?.Previous));
    }

    [Fact]
    public void FrozenCameraThatAlsoStops_IsReportedAsStaleNotFrozen()
    {
        var tracker = new CameraHealthTracker(_time);
        for (var i = 0; i < 3; i++)
        {
            tracker.ImageReceived(Image(1));
        }

        Assert.Equal(CameraStatuses.Frozen, tracker.Evaluate(Limits)?.Status);
        _time.Advance(TimeSpan.FromSeconds(25));
        tracker.Evaluate(Limits);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(CameraStatuses.Stale, tracker.Evaluate(Limits)?.Status);
    }

    [Fact]
    public void LiveSegments_KeepTheCameraFreshBetweenSnapshots_ButDoNotResetFrozen()
    {
        var tracker = new CameraHealthTracker(_time);
        tracker.ImageReceived(Image(1));
        tracker.Evaluate(Limits);
        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            tracker.ActivityObserved(_time.GetUtcNow());
            Assert.Null(tracker.Evaluate(Limits));
        }

        Assert.Equal(CameraStatuses.Online, tracker.Status);
        Assert.Equal(1, tracker.IdenticalRun);
    }
}
