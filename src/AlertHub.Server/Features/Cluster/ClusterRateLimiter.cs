using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// A fixed-window limit counted across every node: one Redis counter per partition (a client address), incremented and
/// given its expiry by one Lua script, so the window starts with the partition's first request on any node and the
/// limit holds for the cluster, not per node. While Redis cannot be reached the same limit is counted in this node's
/// memory (a <see cref="FixedWindowRateLimiter"/>, as a single node does), so requests are neither refused wholesale nor
/// let through uncounted, and never answered with a 500.
/// </summary>
/// <remarks>
/// The rate-limiting middleware first tries <see cref="AttemptAcquireCore"/>, which cannot wait for Redis and so never
/// grants; it then calls <see cref="AcquireAsyncCore"/>, which asks Redis.
/// </remarks>
internal sealed partial class ClusterFixedWindowLimiter : RateLimiter
{
    // KEYS[1]: the counter. ARGV[1]: window ms. Returns { count including this request, ms until the window ends }.
    private const string IncrementScript = """
        local n = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if n == 1 or ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          ttl = tonumber(ARGV[1])
        end
        return { n, ttl }
        """;

    private readonly ClusterRedis _redis;
    private readonly RedisKey _key;
    private readonly int _permitLimit;
    private readonly TimeSpan _window;
    private readonly ILogger _logger;
    private readonly FixedWindowRateLimiter _fallback;
    private long _lastUsed = Environment.TickCount64;

    public ClusterFixedWindowLimiter(ClusterRedis redis, string name, string partition, int permitLimit, TimeSpan window, ILogger logger)
    {
        _redis = redis;
        _key = redis.Key("limit:" + name + ":" + partition);
        _permitLimit = permitLimit;
        _window = window;
        _logger = logger;
        _fallback = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions { PermitLimit = permitLimit, Window = window, QueueLimit = 0 });
    }

    /// <summary>A partition of <paramref name="name"/>'s cluster-wide limit for <paramref name="partition"/>.</summary>
    public static RateLimitPartition<string> Partition(ClusterRedis redis, string name, string partition, int permitLimit, TimeSpan window, ILogger logger) =>
        RateLimitPartition.Get(partition, p => new ClusterFixedWindowLimiter(redis, name, p, permitLimit, window, logger));

    public override TimeSpan? IdleDuration => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => _fallback.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        permitCount == 0 ? Lease.Granted : Lease.NotYet;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastUsed, Environment.TickCount64);
        if (permitCount == 0)
        {
            return Lease.Granted;
        }

        try
        {
            var db = await _redis.DatabaseAsync();
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(IncrementScript, [_key], [(long)_window.TotalMilliseconds], ClusterRedis.OnPrimary))!;
            var (count, ttlMs) = ((long)result[0], (long)result[1]);
            return count <= _permitLimit ? Lease.Granted : new Lease(false, TimeSpan.FromMilliseconds(ttlMs));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogFallback(_logger, e);
            return await _fallback.AcquireAsync(permitCount, cancellationToken);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _fallback.Dispose();
        }

        base.Dispose(disposing);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster Redis unreachable: a limit is counted on this node only until it is back")]
    private static partial void LogFallback(ILogger logger, Exception exception);

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);

        public static readonly Lease NotYet = new(false, null);

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = wait;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
