namespace AlertHub.MobileSim.Report.Progress;

/// <summary>
/// The run's phases as progress bars on stderr: importing chunks, connecting SignalR clients, waiting for receipts.
/// It observes the run from outside (the runner's log events, the SignalR connection hook and the shared receipt
/// log), so the runner needs no knowledge of it. One bar is open at a time; every background poll is bounded.
/// </summary>
internal sealed class RunProgress : IAsyncDisposable
{
    /// <summary>Plain (non-terminal) lines at most this often, so CI logs stay short.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The receipts poll ends by itself after this long even if nobody stops it.</summary>
    private static readonly TimeSpan MaxPoll = TimeSpan.FromHours(2);

    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly TimeProvider _time;
    private readonly int _residents;
    private readonly int? _signalRExpected;
    private readonly Func<int> _receipts;
    private readonly Lock _lock = new();
    private ProgressBar? _bar;
    private long _imported;
    private long _signalRStarted;
    private CancellationTokenSource? _pollStop;
    private Task? _poll;

    /// <param name="signalRExpected">About how many SignalR clients will connect (from the mix), for the bar's total.</param>
    /// <param name="receipts">Receipts so far (the shared receipt log's count).</param>
    public RunProgress(TextWriter output, bool interactive, TimeProvider time, int residents, int? signalRExpected, Func<int> receipts)
    {
        _output = output;
        _interactive = interactive;
        _time = time;
        _residents = residents;
        _signalRExpected = signalRExpected;
        _receipts = receipts;
    }

    /// <summary>Opens the import bar without drawing: the receiver's log line is about to be printed.</summary>
    public void ImportStarting() => Open("importing residents", _residents).Clear();

    public void ImportChunk(int accepted, int rejected)
    {
        var bar = Open("importing residents", _residents);
        var done = Interlocked.Add(ref _imported, accepted + rejected);
        bar.Update(done);
        if (done >= _residents)
        {
            Close(rejected > 0 ? $"({rejected} rejected in the last chunk)" : null);
        }
    }

    /// <summary>Called as each SignalR connection starts (the parallelism keeps it within 64 of the connected count).</summary>
    public void SignalRConnecting()
    {
        var bar = Open("connecting SignalR", _signalRExpected);
        bar.Update(Math.Min(Interlocked.Increment(ref _signalRStarted), _signalRExpected ?? long.MaxValue));
    }

    public void SignalRReady(int connected, int failed, int total)
    {
        lock (_lock)
        {
            if (_bar is { Label: "connecting SignalR" } bar)
            {
                bar.Update(connected + failed, total);
                Close($"{connected:N0} connected, {failed:N0} failed");
            }
        }
    }

    /// <summary>Starts the receipts bar: received/expected with the rate, polled until the wait ends.</summary>
    public void AlertIssued(int? recipients)
    {
        lock (_lock)
        {
            var bar = Open("waiting for receipts", recipients);
            _pollStop = new CancellationTokenSource(MaxPoll);
            var token = _pollStop.Token;
            _poll = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(PollInterval, _time);
                try
                {
                    while (await timer.WaitForNextTickAsync(token))
                    {
                        bar.Update(_receipts());
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }, CancellationToken.None);
        }
    }

    public async Task WaitEndedAsync(bool timedOut)
    {
        await StopPollAsync();
        lock (_lock)
        {
            _bar?.Update(_receipts());
            Close(timedOut ? "(timed out)" : null);
        }
    }

    /// <summary>A log line is about to be printed: take the bar off the line first.</summary>
    public void BeforeLog()
    {
        lock (_lock)
        {
            _bar?.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopPollAsync();
        lock (_lock)
        {
            Close(null);
        }
    }

    private async Task StopPollAsync()
    {
        Task? poll;
        lock (_lock)
        {
            _pollStop?.Cancel();
            poll = _poll;
            _poll = null;
        }

        if (poll is not null)
        {
            await poll;
        }

        lock (_lock)
        {
            _pollStop?.Dispose();
            _pollStop = null;
        }
    }

    private ProgressBar Open(string label, long? total)
    {
        lock (_lock)
        {
            if (_bar is { Finished: false } open && open.Label == label)
            {
                return open;
            }

            _bar?.Finish();
            _bar = new ProgressBar(_output, _interactive, label, total, _time, PlainInterval);
            return _bar;
        }
    }

    private void Close(string? summary)
    {
        lock (_lock)
        {
            _bar?.Finish(summary);
            _bar = null;
        }
    }
}
