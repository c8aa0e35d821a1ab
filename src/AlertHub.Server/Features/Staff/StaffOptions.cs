namespace AlertHub.Server.Features.Staff;

/// <summary>Configuration section <c>Staff</c>: browser sign-in for staff.</summary>
public sealed class StaffOptions
{
    /// <summary>A session ends after this long without a request (sliding). Default 30 min.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after sign-in however active it is (one long shift). Default 12 h.</summary>
    public TimeSpan SessionMaxLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How often open staff SignalR connections are checked against their key or session (revocations close
    /// them at once anyway; this catches the maximum lifetime). Default 15 s.</summary>
    public TimeSpan ConnectionRecheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Failed sign-ins for one username within <see cref="FailureWindow"/> that lock it. Default 5.</summary>
    public int MaxFailures { get; set; } = 5;

    /// <summary>Failed sign-ins from one client address within <see cref="FailureWindow"/> that lock the address (password spraying). Default 50.</summary>
    public int MaxFailuresPerClient { get; set; } = 50;

    /// <summary>How far back failures count. Default 15 min.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a lock lasts. Default 15 min.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// PBKDF2 computations (sign-ins, password changes) running at once; the rest of the API keeps the other cores.
    /// Default: half the processors, at least 1 and at most 2 (1 on a 2-core machine).
    /// </summary>
    public int MaxConcurrentHashes { get; set; } = Math.Clamp(Environment.ProcessorCount / 2, 1, 2);

    /// <summary>Sign-ins that may wait for a hashing slot; beyond this they get 503 <c>auth.signin_busy</c> with Retry-After. Default 8.</summary>
    public int MaxQueuedHashes { get; set; } = 8;

    /// <summary>Shortest password accepted for a staff user. Default 12 characters.</summary>
    public int MinPasswordLength { get; set; } = 12;
}
