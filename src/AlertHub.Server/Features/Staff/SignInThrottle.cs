using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Staff;

/// <summary>
/// Counts failed sign-ins per presented username (existing or not, so a lock reveals nothing about which
/// usernames exist) and per client address, and locks either once it has too many failures within the
/// window. In memory: a restart clears locks, which an attacker cannot cause from outside.
/// </summary>
internal sealed class SignInThrottle(IOptions<StaffOptions> options, TimeProvider time)
{
    // Bounded so a spray of random usernames cannot grow it without limit; expired entries go first.
    private const int MaxTracked = 50_000;

    private readonly ConcurrentDictionary<string, Tracker> _trackers = new();

    /// <summary>How long until the username or client may try again, or null when neither is locked.</summary>
    public TimeSpan? LockedFor(string username, string client)
    {
        var now = time.GetUtcNow();
        var wait = Remaining(UserKey(username), now);
        var clientWait = Remaining(ClientKey(client), now);
        return wait is null ? clientWait : clientWait is null ? wait : (wait > clientWait ? wait : clientWait);
    }

    /// <summary>Records a failure; returns the lock duration if this failure locked the username or the client.</summary>
    public TimeSpan? RecordFailure(string username, string client)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        if (_trackers.Count > MaxTracked)
        {
            Prune(now);
        }

        var userLocked = Add(UserKey(username), o.MaxFailures, now);
        var clientLocked = Add(ClientKey(client), o.MaxFailuresPerClient, now);
        return userLocked || clientLocked ? LockedFor(username, client) : null;
    }

    public void RecordSuccess(string username) => _trackers.TryRemove(UserKey(username), out _);

    private bool Add(string key, int limit, DateTimeOffset now)
    {
        var o = options.Value;
        var tracker = _trackers.GetOrAdd(key, _ => new Tracker());
        lock (tracker)
        {
            while (tracker.Failures.Count > 0 && now - tracker.Failures.Peek() > o.FailureWindow)
            {
                tracker.Failures.Dequeue();
            }

            tracker.Failures.Enqueue(now);
            if (limit > 0 && tracker.Failures.Count >= limit && (tracker.LockedUntil is null || tracker.LockedUntil <= now))
            {
                tracker.LockedUntil = now + o.LockoutDuration;
                tracker.Failures.Clear();
                return true;
            }

            return false;
        }
    }

    private TimeSpan? Remaining(string key, DateTimeOffset now)
    {
        if (!_trackers.TryGetValue(key, out var tracker))
        {
            return null;
        }

        lock (tracker)
        {
            return tracker.LockedUntil is { } until && until > now ? until - now : null;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        var window = options.Value.FailureWindow;
        foreach (var (key, tracker) in _trackers)
        {
            lock (tracker)
            {
                var idle = tracker.Failures.Count == 0 || now - tracker.Failures.Last() > window;
                if (idle && (tracker.LockedUntil is null || tracker.LockedUntil <= now))
                {
                    _trackers.TryRemove(key, out _);
                }
            }
        }
    }

    private static string UserKey(string username) => "user:" + username;

    private static string ClientKey(string client) => "client:" + client;

    private sealed class Tracker
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public DateTimeOffset? LockedUntil { get; set; }
    }
}
