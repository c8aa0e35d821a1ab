using StackExchange.Redis;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// Which Redis server this node's SignalR backplane listens on (the server's <c>run_id</c>). Redis pub/sub keeps nothing:
/// a message published on a server this node is not subscribed to is lost, and the sender would record it as delivered.
/// After a failover the promoted replica already holds this node's presence (replicated), so another node could send
/// there before this node's backplane has moved. <see cref="RedisPresence"/> therefore stamps this node's presence with
/// the server it listens on, and a sender counts a resident as reachable through Redis only where the stamp names the
/// server it is talking to.
/// </summary>
internal sealed class BackplaneSubscription
{
    /// <summary>Lua: the run_id of the server running the script.</summary>
    public const string RunIdOfThisServer = "string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')";

    /// <summary>A script that returns the run_id of the server it runs on.</summary>
    public const string RunIdScript = "return " + RunIdOfThisServer;

    private volatile string? _runId;
    private volatile string? _endpoint;
    private volatile bool _known;
    private ConnectionMultiplexer? _connection;

    /// <summary>The <c>run_id</c> of the server the backplane's subscriptions live on, or null while unknown or lost.</summary>
    public string? RunId => _runId;

    /// <summary>
    /// Whether the backplane does not listen on <paramref name="primary"/> (host:port, where this node's other connection
    /// writes): it lost its server, or still listens on another. False before the backplane first connected (it connects
    /// on first use, and is then asked at once).
    /// </summary>
    public bool LagsBehind(string? primary) => _known && (_endpoint is not { } endpoint || (primary is not null && endpoint != primary));

    /// <summary>The server changed, or the backplane lost it: the stamp must be written again.</summary>
    public event Action? Changed;

    /// <summary>Follows the backplane's connection: asked once connected (before the backplane uses it, so the first
    /// resident's announcement already carries the stamp), after a subscription connection comes back, and after a Sentinel
    /// failover has settled (<see cref="ClusterRedisSentinel.Follow"/>).</summary>
    public async Task TrackAsync(ConnectionMultiplexer connection)
    {
        _connection = connection;
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Set(null, null);
            }
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Refresh(connection);
            }
        };
        await RefreshAsync(connection);
    }

    /// <summary>Asks again while the backplane lags behind <paramref name="primary"/> (a refresh that failed is not left so).</summary>
    public void RefreshIfLagging(string? primary)
    {
        if (LagsBehind(primary) && Volatile.Read(ref _connection) is { } connection)
        {
            Refresh(connection);
        }
    }

    /// <summary>Reads the run_id of the primary the connection writes to (where its subscriptions are) in the background.</summary>
    public void Refresh(ConnectionMultiplexer connection) => _ = RefreshAsync(connection);

    private async Task RefreshAsync(ConnectionMultiplexer connection)
    {
        try
        {
            // Through a script on the primary, where the subscriptions live (IServer.Info needs the client's admin mode).
            var endpoint = ClusterRedisSentinel.Primary(connection);
            var runId = await connection.GetDatabase().ScriptEvaluateAsync(RunIdScript, flags: ClusterRedis.OnPrimary);
            Set((string?)runId, endpoint);
        }
        catch (Exception e) when (e is RedisException or RedisCommandException or TimeoutException or ObjectDisposedException)
        {
            // The next restore or settle asks again.
        }
    }

    private void Set(string? runId, string? endpoint)
    {
        _endpoint = runId is null ? null : endpoint;
        _known = true;
        if (runId == _runId)
        {
            return;
        }

        _runId = runId;
        Changed?.Invoke();
    }
}
