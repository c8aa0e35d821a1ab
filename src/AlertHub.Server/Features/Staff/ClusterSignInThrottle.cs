using System.Security.Cryptography;
using System.Text;
using AlertHub.Server.Features.Cluster;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AlertHub.Server.Features.Staff;

/// <summary>
/// <see cref="SignInThrottle"/>'s limits counted across every node in the cluster's Redis, so guesses spread over several
/// nodes lock an account exactly as they would on one. Each username and client address has, under a hashed key (Redis
/// never holds the usernames or addresses themselves), a sorted set of failures within the window, a sorted set of
/// attempts reserved and still being checked, and the time its lock ends. Each step is one Lua script, so two nodes can
/// never both reserve the last allowed attempt. The time is Redis's own, one clock for all nodes.
/// </summary>
/// <remarks>
/// <para>
/// When Redis cannot be reached the attempt is counted in this node's memory instead (<see cref="SignInThrottle"/>, the
/// same limits). That is the safe side for a disaster hub: refusing every sign-in while Redis is down would keep the
/// duty officer out of the dashboard at the worst moment, and letting attempts through uncounted would open the door to
/// guessing; counted per node, a guesser gains at most the number of nodes times the limit during the outage, and never
/// a 500. Locks already in Redis are not seen while it is down.
/// </para>
/// <para>
/// A reservation left by a node that died while checking a password is dropped after <see cref="ReservationHold"/>.
/// </para>
/// <para>
/// Redis replicates asynchronously, so a failover (or a restart: Redis keeps nothing on disk here) can lose failures and
/// locks written just before it. Every failure counted in Redis is therefore also counted in this node's memory, and for
/// one failure window plus one lockout after this node saw Redis disrupted, a lock in either refuses the attempt: the
/// stricter of the two. A guesser then gains at most the failures the other nodes had counted, once, not a fresh
/// allowance on every node for as long as they like. Outside that window the node's own count is not consulted, so a
/// success on another node (which clears the count in Redis, not on this node) cannot lock out its owner here.
/// </para>
/// </remarks>
internal sealed partial class ClusterSignInThrottle(
    ClusterRedis redis, SignInThrottle local, IOptions<StaffOptions> options, ILogger<ClusterSignInThrottle> logger) : ISignInThrottle
{
    /// <summary>Longest a password check can keep an attempt reserved (hashing waits in a bounded queue, far below this).</summary>
    internal static readonly TimeSpan ReservationHold = TimeSpan.FromMinutes(2);

    // KEYS: user failures, reservations, lock; client failures, reservations, lock.
    // ARGV: window ms, lockout ms, hold ms, user limit, client limit, attempt id. Returns 0 (reserved) or the wait in ms.
    private const string BeginScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local window, lockout, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local function refusal(f, r, l, limit)
          local locked = tonumber(redis.call('GET', l) or '0')
          if locked > now then return locked - now end
          redis.call('ZREMRANGEBYSCORE', f, '-inf', '(' .. (now - window))
          redis.call('ZREMRANGEBYSCORE', r, '-inf', '(' .. (now - hold))
          if limit > 0 and redis.call('ZCARD', f) + redis.call('ZCARD', r) >= limit then return lockout end
          return 0
        end
        local wait = math.max(refusal(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[4])), refusal(KEYS[4], KEYS[5], KEYS[6], tonumber(ARGV[5])))
        if wait > 0 then return wait end
        redis.call('ZADD', KEYS[2], now, ARGV[6])
        redis.call('PEXPIRE', KEYS[2], hold)
        redis.call('ZADD', KEYS[5], now, ARGV[6])
        redis.call('PEXPIRE', KEYS[5], hold)
        return 0
        """;

    // Same KEYS. ARGV: window ms, lockout ms, user limit, client limit, attempt id. Returns the lock left in ms, or 0.
    private const string FailScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local window, lockout = tonumber(ARGV[1]), tonumber(ARGV[2])
        local function record(f, r, l, limit)
          redis.call('ZREM', r, ARGV[5])
          redis.call('ZREMRANGEBYSCORE', f, '-inf', '(' .. (now - window))
          redis.call('ZADD', f, now, ARGV[5])
          redis.call('PEXPIRE', f, window)
          local locked = tonumber(redis.call('GET', l) or '0')
          if locked <= now and limit > 0 and redis.call('ZCARD', f) >= limit then
            locked = now + lockout
            redis.call('SET', l, locked, 'PX', lockout)
            redis.call('DEL', f)
          end
          if locked > now then return locked - now end
          return 0
        end
        return math.max(record(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[3])), record(KEYS[4], KEYS[5], KEYS[6], tonumber(ARGV[4])))
        """;

    // Same KEYS. ARGV: attempt id, 1 to clear the username's failures and lock (a success), 0 not to (a release).
    private const string FinishScript = """
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[5], ARGV[1])
        if ARGV[2] == '1' then redis.call('DEL', KEYS[1], KEYS[3]) end
        return 1
        """;

    public async ValueTask<(SignInAttempt? Attempt, TimeSpan Wait)> TryBeginAsync(string username, string client)
    {
        var o = options.Value;
        var attempt = new SignInAttempt(UserKey(username), ClientKey(client)) { Shared = true };
        if (MayHaveLostCounts(o) && local.LockedForKeys(attempt.UserKey, attempt.ClientKey) is { } lockedHere)
        {
            return (null, lockedHere);
        }

        try
        {
            var db = await redis.DatabaseAsync();
            var waitMs = (long)await db.ScriptEvaluateAsync(BeginScript, Keys(attempt),
                [Ms(o.FailureWindow), Ms(o.LockoutDuration), Ms(ReservationHold), o.MaxFailures, o.MaxFailuresPerClient, attempt.Id], ClusterRedis.OnPrimary);
            return waitMs > 0 ? (null, TimeSpan.FromMilliseconds(waitMs)) : (attempt, TimeSpan.Zero);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            LogFallback(logger, e);
            var counted = local.TryBegin(username, client, out var wait);
            return (counted, wait);
        }
    }

    public async ValueTask<TimeSpan?> FailAsync(SignInAttempt attempt)
    {
        if (!attempt.Shared)
        {
            return local.Fail(attempt);
        }

        if (attempt.Done)
        {
            return null;
        }

        attempt.Done = true;
        var o = options.Value;
        try
        {
            var db = await redis.DatabaseAsync();
            var lockedMs = (long)await db.ScriptEvaluateAsync(FailScript, Keys(attempt),
                [Ms(o.FailureWindow), Ms(o.LockoutDuration), o.MaxFailures, o.MaxFailuresPerClient, attempt.Id], ClusterRedis.OnPrimary);
            var lockedHere = local.RecordFailureByKeys(attempt.UserKey, attempt.ClientKey);
            TimeSpan? locked = lockedMs > 0 ? TimeSpan.FromMilliseconds(lockedMs) : null;
            return MayHaveLostCounts(o) && lockedHere > locked.GetValueOrDefault() ? lockedHere : locked;
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            // The failure still counts, here; the reservation in Redis lapses by itself.
            LogFallback(logger, e);
            return local.RecordFailureByKeys(attempt.UserKey, attempt.ClientKey);
        }
    }

    public ValueTask SucceedAsync(SignInAttempt attempt) => FinishAsync(attempt, success: true);

    public ValueTask ReleaseAsync(SignInAttempt attempt) => FinishAsync(attempt, success: false);

    public async ValueTask RecordSuccessAsync(string username)
    {
        local.RecordSuccess(username);
        try
        {
            var db = await redis.DatabaseAsync();
            var user = UserKey(username);
            await db.KeyDeleteAsync([Key(user, "f"), Key(user, "l")]);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            // The new password is saved; the lock in Redis, if any, runs out by itself.
            LogFallback(logger, e);
        }
    }

    private async ValueTask FinishAsync(SignInAttempt attempt, bool success)
    {
        if (!attempt.Shared)
        {
            if (success)
            {
                local.Succeed(attempt);
            }
            else
            {
                local.Release(attempt);
            }

            return;
        }

        if (attempt.Done)
        {
            return;
        }

        attempt.Done = true;
        if (success)
        {
            local.RecordSuccessByKey(attempt.UserKey);
        }

        try
        {
            var db = await redis.DatabaseAsync();
            await db.ScriptEvaluateAsync(FinishScript, Keys(attempt), [attempt.Id, success ? "1" : "0"], ClusterRedis.OnPrimary);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            // The reservation lapses after ReservationHold; a success does not clear old failures until Redis is back.
            LogFallback(logger, e);
        }
    }

    /// <summary>Whether Redis may have lost failures or locks that still matter (see the remarks).</summary>
    private bool MayHaveLostCounts(StaffOptions o) => redis.DisruptedWithin(o.FailureWindow + o.LockoutDuration);

    private RedisKey[] Keys(SignInAttempt attempt) =>
        [Key(attempt.UserKey, "f"), Key(attempt.UserKey, "r"), Key(attempt.UserKey, "l"),
            Key(attempt.ClientKey, "f"), Key(attempt.ClientKey, "r"), Key(attempt.ClientKey, "l")];

    private RedisKey Key(string tracker, string part) =>
        redis.Key("signin:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tracker)))[..32] + ":" + part);

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;

    private static bool IsUnreachable(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;

    private static string UserKey(string username) => SignInThrottle.UserKey(username);

    private static string ClientKey(string client) => SignInThrottle.ClientKey(client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster Redis unreachable: sign-in attempts are counted on this node only until it is back")]
    private static partial void LogFallback(ILogger logger, Exception exception);
}
