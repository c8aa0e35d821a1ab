using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Staff;

/// <summary>One reserved sign-in attempt: it counts against both limits from the moment it is reserved.</summary>
internal sealed class SignInAttempt(string userKey, string clientKey)
{
    public string UserKey { get; } = userKey;

    public string ClientKey { get; } = clientKey;

    /// <summary>Names the attempt among the cluster's reservations and failures (<see cref="ClusterSignInThrottle"/>).</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Reserved in the cluster's Redis (true) or in this node's memory: it is finished where it was reserved.</summary>
    public bool Shared { get; init; }

    /// <summary>Set once the attempt is finished (failed, succeeded or released), so it is never counted twice.</summary>
    public bool Done { get; set; }
}

/// <summary>
/// Sign-in lockout: <see cref="SignInThrottle"/> in this node's memory, or <see cref="ClusterSignInThrottle"/> counted
/// cluster-wide in Redis (<c>Cluster:Redis</c>). Both give the same limits and answers.
/// </summary>
internal interface ISignInThrottle
{
    /// <summary>Reserves an attempt, or refuses it (null) with how long to wait.</summary>
    ValueTask<(SignInAttempt? Attempt, TimeSpan Wait)> TryBeginAsync(string username, string client);

    /// <summary>The password did not verify; returns how long the user or client is now locked, if it is.</summary>
    ValueTask<TimeSpan?> FailAsync(SignInAttempt attempt);

    /// <summary>The password verified: the username's failures and lock are cleared.</summary>
    ValueTask SucceedAsync(SignInAttempt attempt);

    /// <summary>The password was never checked: the attempt does not count.</summary>
    ValueTask ReleaseAsync(SignInAttempt attempt);

    /// <summary>Clears the username's failures and lock (an admin set a new password).</summary>
    ValueTask RecordSuccessAsync(string username);
}

/// <summary>
/// Counts sign-in attempts per presented username (existing or not, so a lock reveals nothing about which
/// usernames exist) and per client address, and locks either once it has too many failures within the window.
/// In memory: a restart clears locks, which an attacker cannot cause from outside.
/// </summary>
/// <remarks>
/// An attempt is reserved <em>before</em> its password is checked and counts as a failure until it succeeds.
/// Counting only after the (slow) hash let a burst of parallel guesses all pass the check at once: 30–40 at a
/// time got 12–16 checked against a limit of 5, and a right password inside the burst got in. Now at most the
/// limit is ever checked per window, per username and per client, however many arrive together.
/// </remarks>
internal sealed class SignInThrottle(IOptions<StaffOptions> options, TimeProvider time) : ISignInThrottle
{
    // Bounded so a spray of random usernames cannot grow it without limit; idle entries go first.
    private const int MaxTracked = 50_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Tracker> _trackers = new(StringComparer.Ordinal);

    /// <summary>
    /// Reserves an attempt for the username from the client, or refuses it (null) with how long to wait: when either
    /// is locked, or when the attempts already failed or still being checked reach a limit.
    /// </summary>
    public SignInAttempt? TryBegin(string username, string client, out TimeSpan wait)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var (userKey, clientKey) = (UserKey(username), ClientKey(client));
        lock (_lock)
        {
            if (_trackers.Count > MaxTracked)
            {
                Prune(now);
            }

            var user = Get(userKey, now);
            var byClient = Get(clientKey, now);
            if (Max(Refusal(user, o.MaxFailures, now, o), Refusal(byClient, o.MaxFailuresPerClient, now, o)) is { } refusedFor)
            {
                wait = refusedFor;
                return null;
            }

            Ensure(userKey, ref user).InFlight++;
            Ensure(clientKey, ref byClient).InFlight++;
            wait = TimeSpan.Zero;
            return new SignInAttempt(userKey, clientKey);
        }
    }

    /// <summary>The password did not verify: the attempt stays counted. Returns how long the user or client is now locked, if it is.</summary>
    public TimeSpan? Fail(SignInAttempt attempt)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (attempt.Done)
            {
                return null;
            }

            attempt.Done = true;
            var locked = Record(attempt.UserKey, o.MaxFailures, now, inFlight: true);
            var clientLocked = Record(attempt.ClientKey, o.MaxFailuresPerClient, now, inFlight: true);
            return Max(locked, clientLocked);
        }
    }

    /// <summary>The password verified: the username's failures and lock are cleared; the client's count just loses this attempt.</summary>
    public void Succeed(SignInAttempt attempt)
    {
        lock (_lock)
        {
            if (attempt.Done)
            {
                return;
            }

            attempt.Done = true;
            Finish(attempt.ClientKey);
            if (_trackers.TryGetValue(attempt.UserKey, out var user))
            {
                user.InFlight--;
                user.Failures.Clear();
                user.LockedUntil = null;
                RemoveIfIdle(attempt.UserKey, user);
            }
        }
    }

    /// <summary>The password was never checked (the hashing queue was full): the attempt does not count.</summary>
    public void Release(SignInAttempt attempt)
    {
        lock (_lock)
        {
            if (attempt.Done)
            {
                return;
            }

            attempt.Done = true;
            Finish(attempt.UserKey);
            Finish(attempt.ClientKey);
        }
    }

    /// <summary>How long until the username or client may try again, or null when neither is locked.</summary>
    public TimeSpan? LockedFor(string username, string client)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return Max(Remaining(Get(UserKey(username), now), now), Remaining(Get(ClientKey(client), now), now));
        }
    }

    /// <summary>Records a failure that was not reserved first; returns the lock duration if the username or client is now locked.</summary>
    public TimeSpan? RecordFailure(string username, string client)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return Max(Record(UserKey(username), o.MaxFailures, now, inFlight: false), Record(ClientKey(client), o.MaxFailuresPerClient, now, inFlight: false));
        }
    }

    /// <summary>As <see cref="RecordFailure"/>, for an attempt reserved elsewhere (the cluster's Redis, then unreachable).</summary>
    internal TimeSpan? RecordFailureByKeys(string userKey, string clientKey)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return Max(Record(userKey, o.MaxFailures, now, inFlight: false), Record(clientKey, o.MaxFailuresPerClient, now, inFlight: false));
        }
    }

    /// <summary>Clears the username's failures and lock (an admin set a new password).</summary>
    public void RecordSuccess(string username) => RecordSuccessByKey(UserKey(username));

    /// <summary>As <see cref="RecordSuccess"/>, by the username's tracker key.</summary>
    internal void RecordSuccessByKey(string userKey)
    {
        lock (_lock)
        {
            if (_trackers.TryGetValue(userKey, out var user))
            {
                user.Failures.Clear();
                user.LockedUntil = null;
                RemoveIfIdle(userKey, user);
            }
        }
    }

    /// <summary>As <see cref="LockedFor(string, string)"/>, by tracker keys.</summary>
    internal TimeSpan? LockedForKeys(string userKey, string clientKey)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return Max(Remaining(Get(userKey, now), now), Remaining(Get(clientKey, now), now));
        }
    }

    ValueTask<(SignInAttempt? Attempt, TimeSpan Wait)> ISignInThrottle.TryBeginAsync(string username, string client)
    {
        var attempt = TryBegin(username, client, out var wait);
        return ValueTask.FromResult((attempt, wait));
    }

    ValueTask<TimeSpan?> ISignInThrottle.FailAsync(SignInAttempt attempt) => ValueTask.FromResult(Fail(attempt));

    ValueTask ISignInThrottle.SucceedAsync(SignInAttempt attempt)
    {
        Succeed(attempt);
        return ValueTask.CompletedTask;
    }

    ValueTask ISignInThrottle.ReleaseAsync(SignInAttempt attempt)
    {
        Release(attempt);
        return ValueTask.CompletedTask;
    }

    ValueTask ISignInThrottle.RecordSuccessAsync(string username)
    {
        RecordSuccess(username);
        return ValueTask.CompletedTask;
    }

    private static TimeSpan? Refusal(Tracker? tracker, int limit, DateTimeOffset now, StaffOptions o)
    {
        if (tracker is null)
        {
            return null;
        }

        if (Remaining(tracker, now) is { } locked)
        {
            return locked;
        }

        // Full with attempts still being checked: if they fail, that is a lock; if one succeeds, a retry gets in.
        return limit > 0 && tracker.Failures.Count + tracker.InFlight >= limit ? o.LockoutDuration : null;
    }

    private TimeSpan? Record(string key, int limit, DateTimeOffset now, bool inFlight)
    {
        var tracker = _trackers.GetValueOrDefault(key);
        tracker = Ensure(key, ref tracker);
        Expire(tracker, now);
        if (inFlight)
        {
            tracker.InFlight--;
        }

        tracker.Failures.Enqueue(now);
        if (limit > 0 && tracker.Failures.Count >= limit && Remaining(tracker, now) is null)
        {
            tracker.LockedUntil = now + options.Value.LockoutDuration;
            tracker.Failures.Clear();
        }

        return Remaining(tracker, now);
    }

    private void Finish(string key)
    {
        if (_trackers.TryGetValue(key, out var tracker))
        {
            tracker.InFlight--;
            RemoveIfIdle(key, tracker);
        }
    }

    private Tracker? Get(string key, DateTimeOffset now)
    {
        if (!_trackers.TryGetValue(key, out var tracker))
        {
            return null;
        }

        Expire(tracker, now);
        return tracker;
    }

    private Tracker Ensure(string key, ref Tracker? tracker)
    {
        if (tracker is null)
        {
            tracker = new Tracker();
            _trackers[key] = tracker;
        }

        return tracker;
    }

    private void Expire(Tracker tracker, DateTimeOffset now)
    {
        var window = options.Value.FailureWindow;
        while (tracker.Failures.Count > 0 && now - tracker.Failures.Peek() > window)
        {
            tracker.Failures.Dequeue();
        }
    }

    private void RemoveIfIdle(string key, Tracker tracker)
    {
        if (tracker.InFlight == 0 && tracker.Failures.Count == 0 && tracker.LockedUntil is null)
        {
            _trackers.Remove(key);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, tracker) in _trackers)
        {
            Expire(tracker, now);
            if (tracker.InFlight == 0 && tracker.Failures.Count == 0 && Remaining(tracker, now) is null)
            {
                _trackers.Remove(key);
            }
        }
    }

    private static TimeSpan? Remaining(Tracker? tracker, DateTimeOffset now) =>
        tracker?.LockedUntil is { } until && until > now ? until - now : null;

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    internal static string UserKey(string username) => "user:" + username;

    internal static string ClientKey(string client) => "client:" + client;

    private sealed class Tracker
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public int InFlight { get; set; }

        public DateTimeOffset? LockedUntil { get; set; }
    }
}
