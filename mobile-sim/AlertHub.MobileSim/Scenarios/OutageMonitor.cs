using AlertHub.MobileSim.Peers.Fcm;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// outage: watches FCM receipts and, once <see cref="SimulationOptions.OutageTriggerShare"/> of the expected FCM
/// residents have the alert, makes the fake FCM answer 503 UNAVAILABLE with Retry-After for
/// <see cref="SimulationOptions.OutageDuration"/> — the middle of the fan-out. Everyone must still get the alert once.
/// </summary>
internal sealed class OutageMonitor : IAsyncDisposable
{
    private const string Fcm = "fcm";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    private readonly SimulationOptions _options;
    private readonly FakeFcm _fcm;
    private readonly ReceiptLog _receipts;
    private readonly TimeProvider _time;
    private readonly int _fcmExpected;
    private readonly CancellationTokenSource _stop = new();
    private Task? _watch;
    private long _issuedAt;
    private int _acceptedBefore;
    private long _startedAt;
    private long _endsAt;

    private OutageMonitor(SimulationOptions options, FakeFcm fcm, ReceiptLog receipts, TimeProvider time, int fcmExpected)
    {
        _options = options;
        _fcm = fcm;
        _receipts = receipts;
        _time = time;
        _fcmExpected = fcmExpected;
    }

    public static OutageMonitor Create(SimulationOptions options, ReceiptLog receipts, TimeProvider time, IReadOnlyList<ResidentExpectation> expectations)
    {
        var fcm = options.Peers.OfType<FakeFcm>().FirstOrDefault()
            ?? throw new ArgumentException("The outage scenario needs FCM residents: put fcm in --mix (e.g. signalr=0.2,webhook=0.2,fcm=0.6).");
        var expected = expectations.Count(e => e.Expected && e.Channel == Fcm);
        if (expected == 0)
        {
            throw new ArgumentException("The outage scenario's target has no FCM residents; raise fcm in --mix or widen the area.");
        }

        return new OutageMonitor(options, fcm, receipts, time, expected);
    }

    /// <summary>Starts watching just before the alert is issued; with a zero share FCM goes down at once.</summary>
    public void Arm(long issuedAt)
    {
        _issuedAt = issuedAt;
        _acceptedBefore = _fcm.AcceptedCount;
        var threshold = (int)Math.Ceiling(_options.OutageTriggerShare * _fcmExpected);
        if (threshold <= 0)
        {
            Begin();
            return;
        }

        _watch = Task.Run(async () =>
        {
            // Bounded: at most the run's timeout, then FCM goes down anyway so the scenario still means something.
            var deadline = _time.GetTimestamp();
            while (!_stop.IsCancellationRequested && _time.GetElapsedTime(deadline) < _options.Timeout)
            {
                if (CountFcm() >= threshold)
                {
                    break;
                }

                try
                {
                    await Task.Delay(Poll, _time, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            Begin();
        });
    }

    private void Begin()
    {
        _startedAt = _time.GetTimestamp();
        _endsAt = _startedAt + (long)(_options.OutageDuration.TotalSeconds * _time.TimestampFrequency);
        _fcm.Fail(FcmFault.Unavailable, duration: _options.OutageDuration, retryAfter: _options.OutageRetryAfter);
    }

    /// <summary>The fake's own counter: cheap enough to poll every few milliseconds, unlike a snapshot of the receipt log.</summary>
    private int CountFcm() => _fcm.AcceptedCount - _acceptedBefore;

    /// <summary>Waits until the outage has begun and ended (bounded by <paramref name="timeout"/> plus its length).</summary>
    public async Task WaitOverAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_watch is not null)
        {
            await _watch.WaitAsync(timeout, _time, cancellationToken);
        }

        var left = _time.GetElapsedTime(_time.GetTimestamp(), _endsAt);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, _time, cancellationToken);
        }
    }

    public OutageReport Report(IReadOnlyList<Receipt> ours, IReadOnlyList<ResidentExpectation> expectations)
    {
        var expectedIds = expectations.Where(e => e.Expected && e.Channel == Fcm).Select(e => e.ExternalId).ToHashSet(StringComparer.Ordinal);
        var fcm = ours.Where(r => r.Channel == Fcm).ToList();
        var before = fcm.Count(r => r.Timestamp < _startedAt);
        var during = fcm.Count(r => r.Timestamp >= _startedAt && r.Timestamp < _endsAt);
        var after = fcm.Count(r => r.Timestamp >= _endsAt);
        var gotIt = fcm.Where(r => expectedIds.Contains(r.ExternalId)).Select(r => r.ExternalId).ToHashSet(StringComparer.Ordinal);
        double? recovery = null;
        if (gotIt.Count == expectedIds.Count && after > 0)
        {
            recovery = _time.GetElapsedTime(_endsAt, fcm.Max(r => r.Timestamp)).TotalMilliseconds;
        }
        else if (gotIt.Count == expectedIds.Count)
        {
            recovery = 0;
        }

        return new OutageReport(
            _options.OutageDuration.TotalSeconds,
            _options.OutageRetryAfter.TotalSeconds,
            _time.GetElapsedTime(_issuedAt, _startedAt).TotalMilliseconds,
            _fcmExpected,
            before,
            during,
            after,
            before < _fcmExpected,
            recovery);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_watch is not null)
        {
            try
            {
                await _watch;
            }
            catch (OperationCanceledException)
            {
                // Stopped while watching.
            }
        }

        _fcm.ClearFailures();
        _stop.Dispose();
    }
}
