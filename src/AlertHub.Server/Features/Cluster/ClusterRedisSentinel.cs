using StackExchange.Redis;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// Makes a connection that finds its primary through Sentinel (<c>serviceName</c>) settle on the new primary after a
/// failover: StackExchange.Redis 3.4 follows the sentinels' switch, but when the promoted server was already known to it
/// as a replica it kept that stale role for a while (writes failed with "Command cannot be issued to a replica"; the hub's
/// scripts and transactions demand the primary, <see cref="ClusterRedis.OnPrimary"/>, so that such a write fails alone
/// instead of dropping the connection), and pub/sub subscriptions are only moved when the client reconfigures. So
/// after the primary's connection fails, or a connection comes back, this asks the client to reconfigure (re-read every
/// server's role and re-subscribe) every second until the same primary has been seen twice in a row.
/// </summary>
internal static partial class ClusterRedisSentinel
{
    private static readonly TimeSpan FirstTick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private const int MaxTicks = 60;

    /// <param name="settled">Called each time the connection has settled on a primary after a failure or a restore.</param>
    public static void Follow(ConnectionMultiplexer connection, ConfigurationOptions configuration, string name, ILogger logger, Action? settled = null)
    {
        if (string.IsNullOrEmpty(configuration.ServiceName))
        {
            return;
        }

        var state = new State(connection, name, logger, settled);
        connection.ConnectionFailed += (_, e) =>
        {
            // The primary's failure is the failover starting; a replica that fails needs nothing.
            if (e.EndPoint is { } endPoint && EndPointCollection.ToString(endPoint) == state.LastPrimary)
            {
                state.Settle();
            }
        };
        // Includes the promoted replica, whose connections the sentinels close when they promote it.
        connection.ConnectionRestored += (_, _) => state.Settle();
        state.LastPrimary = Primary(connection);
    }

    /// <summary>The primary the connection writes to now (host:port), or null.</summary>
    public static string? Primary(ConnectionMultiplexer connection) =>
        connection.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)?.EndPoint is { } endPoint ? EndPointCollection.ToString(endPoint) : null;

    private sealed class State(ConnectionMultiplexer connection, string name, ILogger logger, Action? settled)
    {
        private int _running;

        public volatile string? LastPrimary;

        public void Settle()
        {
            if (Interlocked.Exchange(ref _running, 1) == 0)
            {
                _ = RunAsync();
            }
        }

        private async Task RunAsync()
        {
            try
            {
                string? seen = null;
                for (var tick = 0; tick < MaxTicks; tick++)
                {
                    await Task.Delay(tick == 0 ? FirstTick : Tick);
                    await connection.ConfigureAsync();
                    var primary = Primary(connection);
                    if (primary is not null && primary == seen)
                    {
                        if (primary != LastPrimary)
                        {
                            LogSettled(logger, name, primary);
                        }

                        LastPrimary = primary;
                        settled?.Invoke();
                        return;
                    }

                    seen = primary;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // The next failure or restore starts it again.
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster Redis ({Name} connection) now writes to the primary at {Primary}")]
    private static partial void LogSettled(ILogger logger, string name, string primary);
}
