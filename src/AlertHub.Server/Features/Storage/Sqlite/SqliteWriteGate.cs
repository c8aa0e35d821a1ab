namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>Who is waiting for SQLite's one writer slot; see <see cref="SqliteWriteGate"/>.</summary>
internal enum WriterKind
{
    /// <summary>A store transaction: issuing, an API write, the next part of a large fan-out being queued.</summary>
    Foreground,

    /// <summary>The outbox workers' own writes: claims, outcomes, the member index.</summary>
    Background,
}

/// <summary>
/// The in-process writer slot of the SQLite store, handed out first come first served within a kind, and to every
/// waiting <see cref="WriterKind.Foreground"/> writer before any waiting <see cref="WriterKind.Background"/> one.
/// During a large fan-out the workers write claims and outcomes back to back; without this, each later part of the
/// outbox (and a staff member's cancel) waited behind every worker write already queued, and a million recipients took
/// 10 s to be queued in full instead of about 2. Workers still get the slot between any two foreground writes that
/// were not already waiting, so they are never starved by a steady trickle.
/// </summary>
internal sealed class SqliteWriteGate
{
    private readonly Lock _sync = new();
    private readonly Queue<TaskCompletionSource> _foreground = new();
    private readonly Queue<TaskCompletionSource> _background = new();
    private bool _held;

    /// <summary>Waits for the slot; dispose the result to hand it on.</summary>
    public async Task<IDisposable> EnterAsync(WriterKind kind, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_sync)
        {
            if (!_held)
            {
                _held = true;
                return new Slot(this);
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (kind == WriterKind.Foreground ? _foreground : _background).Enqueue(waiter);
        }

        // A cancelled waiter stays in its queue; HandOn skips it (TrySetResult fails on a cancelled task).
        using (cancellationToken.Register(static w => ((TaskCompletionSource)w!).TrySetCanceled(), waiter))
        {
            await waiter.Task;
        }

        return new Slot(this);
    }

    /// <summary>Waiting writers, for tests.</summary>
    internal int Waiting
    {
        get
        {
            lock (_sync)
            {
                return _foreground.Count(w => !w.Task.IsCompleted) + _background.Count(w => !w.Task.IsCompleted);
            }
        }
    }

    private void HandOn()
    {
        lock (_sync)
        {
            while (_foreground.TryDequeue(out var next) || _background.TryDequeue(out next))
            {
                if (next.TrySetResult())
                {
                    return;
                }
            }

            _held = false;
        }
    }

    private sealed class Slot(SqliteWriteGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.HandOn();
            }
        }
    }
}
