using System.Security.Cryptography;

namespace AlertHub.Server.Features.Cameras;

/// <summary>The limits one evaluation uses; derived from the options and the camera's current snapshot interval.</summary>
internal readonly record struct FreshnessThresholds(TimeSpan StaleAfter, TimeSpan OfflineAfter, int FrozenAfterIdentical, TimeSpan Debounce)
{
    public static FreshnessThresholds For(CamerasOptions options, TimeSpan snapshotInterval) => new(
        snapshotInterval * options.StaleAfterIntervals + options.StaleGrace,
        snapshotInterval * options.OfflineAfterIntervals + options.OfflineGrace,
        Math.Max(2, options.FrozenAfterIdentical),
        options.StatusDebounce);
}

/// <summary>A status change the tracker has committed (after debouncing).</summary>
internal sealed record HealthTransition(string Status, string Previous, DateTimeOffset At, string Reason);

/// <summary>
/// Online / stale / offline / frozen from the age and content of the images a camera produces, not from
/// whether its ffmpeg runs: a process that restarts every second, or one connected to a camera that sends
/// nothing, must not look healthy. A new status must hold for the debounce time before it is committed so
/// a single late frame does not flap the wall; the very first status commits at once.
/// Not thread-safe: one tracker per camera, driven by the supervisor under the camera's lock.
/// </summary>
internal sealed class CameraHealthTracker
{
    private readonly TimeProvider _time;
    private DateTimeOffset _startedAt;
    private byte[]? _lastHash;
    private string? _candidate;
    private string _candidateReason = "";
    private DateTimeOffset _candidateSince;
    private string? _lastError;

    public CameraHealthTracker(TimeProvider time, string initialStatus = CameraStatuses.Unknown)
    {
        _time = time;
        _startedAt = time.GetUtcNow();
        Status = initialStatus;
    }

    public string Status { get; private set; }

    /// <summary>The newest image or live segment seen.</summary>
    public DateTimeOffset? LastImageAt { get; private set; }

    /// <summary>How many snapshots in a row had the same bytes (1 = the latest differs from the one before).</summary>
    public int IdenticalRun { get; private set; }

    /// <summary>A new snapshot arrived; identical bytes to the previous one lengthen the frozen run.</summary>
    public void ImageReceived(ReadOnlySpan<byte> jpeg)
    {
        var hash = SHA256.HashData(jpeg);
        IdenticalRun = _lastHash is not null && hash.AsSpan().SequenceEqual(_lastHash) ? IdenticalRun + 1 : 1;
        _lastHash = hash;
        _lastError = null;
        Touch(_time.GetUtcNow());
    }

    /// <summary>
    /// This node has just taken the camera over (its lease): the status starts again from unknown, and images from before
    /// the take-over (this node's own from an earlier hold, or the store's last-image time) may prove freshness but are
    /// not held against the camera until the new worker has had the offline time to send one. Without this a node that
    /// takes a healthy camera over would first call it offline.
    /// </summary>
    public void Restart()
    {
        _startedAt = _time.GetUtcNow();
        Status = CameraStatuses.Unknown;
        _candidate = null;
    }

    /// <summary>The worker failed (and will restart): why, for the reason of a stale or offline status until an image comes.</summary>
    public void WorkerFailed(string error) => _lastError = error.Length > 300 ? error[..300] + "…" : error;

    /// <summary>Fresh data that is not a snapshot (a new live segment): proves the link is up, says nothing about frozen.</summary>
    public void ActivityObserved(DateTimeOffset at) => Touch(at);

    /// <summary>The status the data shows right now, before debouncing.</summary>
    public (string Status, string Reason) Observe(FreshnessThresholds limits)
    {
        var now = _time.GetUtcNow();
        var sinceStart = now - _startedAt;
        if (LastImageAt is not { } last
            || (last < _startedAt && now - last > limits.StaleAfter && sinceStart <= limits.OfflineAfter))
        {
            var waited = sinceStart;
            return waited > limits.OfflineAfter
                ? (CameraStatuses.Offline, $"no image since the camera was started {waited.TotalSeconds:0} s ago{LastError}")
                : (CameraStatuses.Unknown, "waiting for the first image");
        }

        var age = now - last;
        if (age > limits.OfflineAfter)
        {
            return (CameraStatuses.Offline, $"newest image is {age.TotalSeconds:0} s old (offline after {limits.OfflineAfter.TotalSeconds:0} s){LastError}");
        }

        if (age > limits.StaleAfter)
        {
            return (CameraStatuses.Stale, $"newest image is {age.TotalSeconds:0} s old (stale after {limits.StaleAfter.TotalSeconds:0} s){LastError}");
        }

        return IdenticalRun >= limits.FrozenAfterIdentical
            ? (CameraStatuses.Frozen, $"{IdenticalRun} consecutive snapshots are identical")
            : (CameraStatuses.Online, "images are fresh");
    }

    /// <summary>Evaluates freshness and returns a transition when a new status has held for the debounce time.</summary>
    public HealthTransition? Evaluate(FreshnessThresholds limits)
    {
        var now = _time.GetUtcNow();
        var (observed, reason) = Observe(limits);
        if (observed == Status)
        {
            _candidate = null;
            return null;
        }

        if (observed == CameraStatuses.Unknown)
        {
            return null;
        }

        if (_candidate != observed)
        {
            _candidate = observed;
            _candidateSince = now;
        }

        _candidateReason = reason;
        if (Status != CameraStatuses.Unknown && now - _candidateSince < limits.Debounce)
        {
            return null;
        }

        var transition = new HealthTransition(observed, Status, now, _candidateReason);
        Status = observed;
        _candidate = null;
        return transition;
    }

    private string LastError => _lastError is { } error ? $"; last error: {error}" : "";

    private void Touch(DateTimeOffset at)
    {
        if (LastImageAt is null || at > LastImageAt)
        {
            LastImageAt = at;
        }
    }
}
