using System.Text.RegularExpressions;
using AlertHub.Core.Cluster;
using AlertHub.Server.Features.Health;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ClusterNode = AlertHub.Core.Cluster.ClusterNode;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// This node's connection to the cluster's Redis (<c>Cluster:Redis</c>), and the names of the hub's keys in it. The
/// SignalR backplane keeps a connection of its own. Started with the host, so the first request does not wait for it; the
/// hub starts even while Redis is down and the connection keeps retrying in the background.
/// </summary>
/// <remarks>
/// With Sentinel (<c>serviceName=…</c> and the sentinels' addresses) StackExchange.Redis asks the sentinels for the
/// primary and follows their <c>+switch-master</c>. A failover raises no <c>ConnectionRestored</c> for the old primary
/// (it stays dead); the promoted replica's connections are closed by the sentinel and reopened, and the client's
/// configuration changes. So <see cref="Restored"/> is raised whenever the primary this node writes to is a different one
/// from before, as well as when the connection comes back.
/// </remarks>
internal sealed partial class ClusterRedis : IHostedService, IAsyncDisposable
{
    private readonly ClusterRedisOptions _options;
    private readonly ClusterNode _node;
    private readonly ILogger<ClusterRedis> _logger;
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private readonly Lock _primaryLock = new();
    private readonly TimeProvider _time;
    private readonly HealthState _health;
    private string? _primary;
    private long _disruptedAt = long.MinValue;

    public ClusterRedis(IOptions<ClusterRedisOptions> options, ClusterNode node, ILogger<ClusterRedis> logger, TimeProvider time, HealthState health)
    {
        _time = time;
        _health = health;
        _options = options.Value;
        _node = node;
        _logger = logger;
        _connection = new Lazy<Task<ConnectionMultiplexer>>(ConnectAsync);
        // Every key in one hash slot ("{prefix}"), so multi-key scripts also work on a Redis Cluster.
        KeyPrefix = "{" + _options.RedisChannelPrefix + "}:";
        ViaSentinel = !string.IsNullOrEmpty(ConfigurationOptions.Parse(_options.Redis!).ServiceName);
    }

    /// <summary>
    /// Flags for every script and transaction the hub sends. StackExchange.Redis sends writes such as SADD only to a
    /// primary, but EVAL and EXEC go to a replica when no primary is known (between a primary's death and the sentinels'
    /// switch): a script then reads a replica's stale presence, and a transaction with a write in it breaks the client's
    /// connection to the very replica being promoted. Each node's heartbeat, woken by the reconnect, broke it again within
    /// milliseconds, thousands of times per failover, and now and then kept a node from settling for 20 s. With this they
    /// fail at once instead, and the caller's fallback applies.
    /// </summary>
    public const CommandFlags OnPrimary = CommandFlags.DemandMaster;

    /// <summary>Prefix of every key the hub writes: <c>{alerthub}:</c>.</summary>
    public string KeyPrefix { get; }

    /// <summary>Raised when the connection comes back after a failure: whatever this node announced may have been lost.</summary>
    public event Action? Restored;

    public RedisKey Key(string name) => KeyPrefix + name;

    /// <summary>The database, once connected (or once the first attempt failed: commands then fail fast until it is back).</summary>
    public async ValueTask<IDatabase> DatabaseAsync() => (await _connection.Value).GetDatabase();

    public bool IsConnected => _connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully && _connection.Value.Result.IsConnected;

    /// <summary>
    /// The primary this node writes to (host:port), or null while there is none it can reach: Redis is down, or a replica
    /// is still being promoted. (<see cref="IsConnected"/> stays true while only a replica answers.)
    /// </summary>
    public string? Primary => _connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully ? PrimaryOf(_connection.Value.Result) : null;

    /// <summary>
    /// Null while this node writes to a Redis primary; otherwise what operators should read in <c>/health</c>: failing
    /// over (Sentinel, no primary reachable yet) or unreachable.
    /// </summary>
    public string? Problem => Primary is not null ? null
        : !_connection.IsValueCreated || !_connection.Value.IsCompleted ? "connecting"
        : ViaSentinel ? "failing over: no Redis primary reachable yet (the sentinels are promoting a replica, or every server is down)"
        : "unreachable: presence, limits and the SignalR backplane are this node's own until it is back";

    /// <summary>
    /// Whether this node lost its connection to the primary, or saw the primary change, within <paramref name="window"/>:
    /// writes acknowledged shortly before may be gone (replication is asynchronous, and a restarted Redis keeps nothing).
    /// </summary>
    public bool DisruptedWithin(TimeSpan window)
    {
        var at = Interlocked.Read(ref _disruptedAt);
        return at != long.MinValue && _time.GetElapsedTime(at) < window;
    }

    private void Disrupted() => Interlocked.Exchange(ref _disruptedAt, _time.GetTimestamp());

    /// <summary>
    /// Puts <see cref="Problem"/> into <c>/health</c> (degraded, not unavailable: this node still sends to its own residents
    /// and counts limits itself meanwhile). Called on every connection event and every presence heartbeat.
    /// </summary>
    public void RefreshHealth()
    {
        if (Problem is { } problem)
        {
            _health.SetDegraded(HealthState.RedisFailingOver, problem);
        }
        else
        {
            _health.ClearDegraded(HealthState.RedisFailingOver);
        }
    }

    /// <summary>Whether the configuration names sentinels (<c>serviceName</c>) rather than the Redis server itself.</summary>
    public bool ViaSentinel { get; }

    /// <summary>
    /// The configuration every Redis connection of the hub uses. Commands fail at once while disconnected instead of
    /// queueing (callers have a local fallback, and a sign-in must not hang on Redis); the hub starts while Redis is down.
    /// </summary>
    public static ConfigurationOptions Configuration(ClusterRedisOptions options, ClusterNode node)
    {
        var configuration = ConfigurationOptions.Parse(options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        // The default backs off exponentially to 10 s between attempts: after a Sentinel failover (whose sentinels close
        // every client connection of the promoted replica) the hub then stayed without Redis for up to 17 s here. Every
        // second at most, so the hub is back within about a second of Redis.
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 1000);
        // Only the SignalR backplane's connection has channels.
        configuration.ChannelPrefix = RedisChannel.Literal(options.RedisChannelPrefix);
        // CLIENT LIST then says which node a connection belongs to.
        configuration.ClientName ??= "alerthub-" + UnsafeClientNameChars().Replace(node.Id, "-");
        return configuration;
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = Configuration(_options, _node);
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        ClusterRedisSentinel.Follow(connection, configuration, "presence and limits", _logger);
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Disrupted();
                RefreshHealth();
                LogLost(_logger, e.EndPoint, e.FailureType, e.Exception);
            }
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogRestored(_logger, e.EndPoint);
                NotePrimary(connection);
                Restored?.Invoke();
            }
        };
        // A failover: the sentinels named another primary and the client switched to it.
        connection.ConfigurationChanged += (_, _) => NotePrimary(connection);
        connection.ConfigurationChangedBroadcast += (_, _) => NotePrimary(connection);
        if (!connection.IsConnected)
        {
            LogNotYetConnected(_logger);
        }

        lock (_primaryLock)
        {
            _primary = PrimaryOf(connection);
        }

        return connection;
    }

    /// <summary>Raises <see cref="Restored"/> when the reachable primary is a different one from the last seen.</summary>
    private void NotePrimary(ConnectionMultiplexer connection)
    {
        RefreshHealth();
        var primary = PrimaryOf(connection);
        string? before;
        lock (_primaryLock)
        {
            before = _primary;
            if (primary is null || primary == before)
            {
                return;
            }

            _primary = primary;
        }

        if (before is not null)
        {
            Disrupted();
            LogPrimaryChanged(_logger, before, primary);
            Restored?.Invoke();
        }
    }

    private static string? PrimaryOf(ConnectionMultiplexer connection) => ClusterRedisSentinel.Primary(connection);

    public async Task StartAsync(CancellationToken cancellationToken) => await _connection.Value;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully)
        {
            await _connection.Value.Result.DisposeAsync();
        }
    }

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex UnsafeClientNameChars();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster Redis is not reachable yet; presence and limits are this node's own until it is")]
    private static partial void LogNotYetConnected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the cluster Redis at {EndPoint} ({Failure}); presence and limits are this node's own until it is back")]
    private static partial void LogLost(ILogger logger, System.Net.EndPoint? endPoint, ConnectionFailureType failure, Exception? exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster Redis failed over: the primary is now {Primary} (was {Before}); presence is announced again")]
    private static partial void LogPrimaryChanged(ILogger logger, string before, string primary);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster Redis at {EndPoint} is back")]
    private static partial void LogRestored(ILogger logger, System.Net.EndPoint? endPoint);
}
