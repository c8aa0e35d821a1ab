using System.Text.RegularExpressions;
using AlertHub.Core.Cluster;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ClusterNode = AlertHub.Core.Cluster.ClusterNode;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// This node's connection to the cluster's Redis (<c>Cluster:Redis</c>), and the names of the hub's keys in it. The
/// SignalR backplane keeps a connection of its own. Started with the host, so the first request does not wait for it; the
/// hub starts even while Redis is down and the connection keeps retrying in the background.
/// </summary>
internal sealed partial class ClusterRedis : IHostedService, IAsyncDisposable
{
    private readonly ClusterRedisOptions _options;
    private readonly ClusterNode _node;
    private readonly ILogger<ClusterRedis> _logger;
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;

    public ClusterRedis(IOptions<ClusterRedisOptions> options, ClusterNode node, ILogger<ClusterRedis> logger)
    {
        _options = options.Value;
        _node = node;
        _logger = logger;
        _connection = new Lazy<Task<ConnectionMultiplexer>>(ConnectAsync);
        // Every key in one hash slot ("{prefix}"), so multi-key scripts also work on a Redis Cluster.
        KeyPrefix = "{" + _options.RedisChannelPrefix + "}:";
    }

    /// <summary>Prefix of every key the hub writes: <c>{alerthub}:</c>.</summary>
    public string KeyPrefix { get; }

    /// <summary>Raised when the connection comes back after a failure: whatever this node announced may have been lost.</summary>
    public event Action? Restored;

    public RedisKey Key(string name) => KeyPrefix + name;

    /// <summary>The database, once connected (or once the first attempt failed: commands then fail fast until it is back).</summary>
    public async ValueTask<IDatabase> DatabaseAsync() => (await _connection.Value).GetDatabase();

    public bool IsConnected => _connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully && _connection.Value.Result.IsConnected;

    /// <summary>
    /// The configuration every Redis connection of the hub uses. Commands fail at once while disconnected instead of
    /// queueing (callers have a local fallback, and a sign-in must not hang on Redis); the hub starts while Redis is down.
    /// </summary>
    public static ConfigurationOptions Configuration(ClusterRedisOptions options, ClusterNode node)
    {
        var configuration = ConfigurationOptions.Parse(options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        // CLIENT LIST then says which node a connection belongs to.
        configuration.ClientName ??= "alerthub-" + UnsafeClientNameChars().Replace(node.Id, "-");
        return configuration;
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(Configuration(_options, _node));
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogLost(_logger, e.EndPoint, e.FailureType, e.Exception);
            }
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogRestored(_logger, e.EndPoint);
                Restored?.Invoke();
            }
        };
        if (!connection.IsConnected)
        {
            LogNotYetConnected(_logger);
        }

        return connection;
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster Redis at {EndPoint} is back")]
    private static partial void LogRestored(ILogger logger, System.Net.EndPoint? endPoint);
}
