using AlertHub.Core.Cluster;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ClusterNode = AlertHub.Core.Cluster.ClusterNode;

namespace AlertHub.Server.Features.Cluster;

internal static class ClusterRedisSetup
{
    private const int SentinelMinThreads = 64;

    /// <summary>
    /// Without <c>Cluster:Redis</c>: one node, presence in process. With it: the SignalR Redis backplane for every hub
    /// (a group send on one node reaches connections on all), presence shared through Redis, and <see cref="ClusterRedis"/>
    /// for the features' cluster-wide limits.
    /// </summary>
    public static IHostApplicationBuilder AddClusterRedis(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ClusterRedisOptions>(builder.Configuration.GetSection("Cluster"));
        if (!ClusterRedisOptions.IsConfigured(builder.Configuration))
        {
            services.TryAddSingleton<IClusterPresence, SingleNodePresence>();
            return builder;
        }

        var engine = builder.Configuration["Storage:Engine"];
        if (!string.Equals(engine, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            // Nodes sharing Redis but each with its own SQLite file would each send every alert: refuse to start instead.
            throw new InvalidOperationException(
                $"Cluster:Redis is set but Storage:Engine is '{engine ?? "sqlite"}': several nodes must share one PostgreSQL store (Storage:Engine=postgres).");
        }

        var options = builder.Configuration.GetSection("Cluster").Get<ClusterRedisOptions>() ?? new ClusterRedisOptions();
        if (string.IsNullOrWhiteSpace(options.RedisChannelPrefix))
        {
            throw new InvalidOperationException("Cluster:RedisChannelPrefix must not be empty.");
        }

        if (options.RedisPresenceTtl < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException("Cluster:RedisPresenceTtl must be at least 1 second.");
        }

        if (!string.IsNullOrEmpty(ConfigurationOptions.Parse(options.Redis!).ServiceName))
        {
            // With Sentinel, StackExchange.Redis 3.4 re-asks the sentinels every second while any server of the service is
            // down (the dead primary included), with blocking calls run in parallel on thread-pool threads whose replies
            // are themselves read on the pool. On two cores the pool then starved for 4–10 s after a failover here,
            // stalling requests and deliveries. Enough threads up front (the client's documented remedy) keeps it at
            // well under a second.
            ThreadPool.GetMinThreads(out var workers, out var io);
            ThreadPool.SetMinThreads(Math.Max(workers, SentinelMinThreads), io);
        }

        services.AddSingleton<ClusterRedis>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterRedis>());
        services.AddSingleton<BackplaneSubscription>();
        services.AddSingleton<RedisPresence>();
        services.AddSingleton<IClusterPresence>(sp => sp.GetRequiredService<RedisPresence>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisPresence>());

        // Both hubs (/hubs/alerts and /hubs/staff): HubLifetimeManager<THub> becomes the Redis one for every hub type.
        services.AddSignalR().AddStackExchangeRedis();
        services.AddOptions<Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisOptions>()
            .Configure<IOptions<ClusterRedisOptions>, ClusterNode, ILoggerFactory, BackplaneSubscription>((o, cluster, node, loggers, backplane) =>
            {
                o.Configuration = ClusterRedis.Configuration(cluster.Value, node);
                // The backplane's own connection, made here so that it follows a Sentinel failover as ClusterRedis's does.
                var configuration = o.Configuration;
                o.ConnectionFactory = async log =>
                {
                    var connection = await ConnectionMultiplexer.ConnectAsync(configuration, log);
                    ClusterRedisSentinel.Follow(connection, configuration, "SignalR backplane", loggers.CreateLogger(typeof(ClusterRedisSentinel).FullName!),
                        () => backplane.Refresh(connection));
                    await backplane.TrackAsync(connection);
                    return connection;
                };
            });
        return builder;
    }
}
