using AlertHub.Core.Cluster;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ClusterNode = AlertHub.Core.Cluster.ClusterNode;

namespace AlertHub.Server.Features.Cluster;

internal static class ClusterRedisSetup
{
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

        services.AddSingleton<ClusterRedis>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterRedis>());
        services.AddSingleton<RedisPresence>();
        services.AddSingleton<IClusterPresence>(sp => sp.GetRequiredService<RedisPresence>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisPresence>());

        // Both hubs (/hubs/alerts and /hubs/staff): HubLifetimeManager<THub> becomes the Redis one for every hub type.
        services.AddSignalR().AddStackExchangeRedis();
        services.AddOptions<Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisOptions>()
            .Configure<IOptions<ClusterRedisOptions>, ClusterNode>((o, cluster, node) =>
            {
                o.Configuration = ClusterRedis.Configuration(cluster.Value, node);
                o.Configuration.ChannelPrefix = RedisChannel.Literal(cluster.Value.RedisChannelPrefix);
            });
        return builder;
    }
}
