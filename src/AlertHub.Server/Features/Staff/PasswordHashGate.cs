using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Staff;

/// <summary>
/// Bounds how many PBKDF2 computations run at once (<see cref="StaffOptions.MaxConcurrentHashes"/>) and how many
/// sign-ins may wait for one (<see cref="StaffOptions.MaxQueuedHashes"/>).
/// </summary>
/// <remarks>
/// A hash is ~0.3 s of one core by design, and every sign-in costs one, known user or not (so timing tells no
/// one which usernames exist). Unbounded, 120 sign-ins for made-up users from 120 addresses held both cores for
/// 8.8 s and the staff API answered in 7 s. Waiting sign-ins hold no thread; beyond the queue they are refused at
/// once (503 <c>auth.signin_busy</c>), for known and unknown usernames alike.
/// </remarks>
internal sealed class PasswordHashGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _maxQueued;
    private readonly AlertHubTelemetry _telemetry;
    private int _waiting;
    private int _running;
    private int _peak;
    private long _completed;

    public PasswordHashGate(IOptions<StaffOptions> options, AlertHubTelemetry telemetry)
    {
        MaxConcurrency = Math.Max(1, options.Value.MaxConcurrentHashes);
        _maxQueued = Math.Max(0, options.Value.MaxQueuedHashes);
        _slots = new SemaphoreSlim(MaxConcurrency, MaxConcurrency);
        _telemetry = telemetry;
    }

    public int MaxConcurrency { get; }

    /// <summary>The most hashes that ever ran at the same time (a test and operator check on the bound).</summary>
    public int PeakConcurrency => Volatile.Read(ref _peak);

    /// <summary>Hashes computed since start.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Runs <paramref name="hash"/> when a slot is free; false (without running it) when the queue is already full.</summary>
    public async Task<(bool Ran, T Result)> TryRunAsync<T>(Func<T> hash, CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0, CancellationToken.None))
        {
            if (Interlocked.Increment(ref _waiting) > _maxQueued)
            {
                Interlocked.Decrement(ref _waiting);
                _telemetry.SignInBusy.Add(1);
                return (false, default!);
            }

            try
            {
                await _slots.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        return (true, RunHoldingSlot(hash));
    }

    /// <summary>Runs <paramref name="hash"/> once a slot is free, however long the queue (authenticated callers: admins, bootstrap).</summary>
    public async Task<T> RunAsync<T>(Func<T> hash, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return RunHoldingSlot(hash);
    }

    private T RunHoldingSlot<T>(Func<T> hash)
    {
        var running = Interlocked.Increment(ref _running);
        for (var peak = Volatile.Read(ref _peak); running > peak; peak = Volatile.Read(ref _peak))
        {
            if (Interlocked.CompareExchange(ref _peak, running, peak) == peak)
            {
                break;
            }
        }

        _telemetry.PasswordHashesRunning.Add(1);
        try
        {
            return hash();
        }
        finally
        {
            _telemetry.PasswordHashesRunning.Add(-1);
            Interlocked.Increment(ref _completed);
            Interlocked.Decrement(ref _running);
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
