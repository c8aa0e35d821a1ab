using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.Storage.Postgres.Cluster;

internal static class PostgresClusterSetup
{
    /// <summary>
    /// Notifications between the nodes sharing this database (LISTEN/NOTIFY, one listening connection per node, owned by a
    /// hosted service) and the resident change feed the targeting index follows. Register before the hub's startup steps,
    /// so the listener is up before caches load.
    /// </summary>
    public static IServiceCollection AddPostgresClusterEvents(this IServiceCollection services)
    {
        services.AddSingleton<PostgresClusterEvents>();
        services.AddSingleton<IClusterEvents>(sp => sp.GetRequiredService<PostgresClusterEvents>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresClusterEvents>());
        services.AddSingleton<IResidentChangeFeed, PostgresResidentChangeFeed>();
        services.AddSingleton<IChannelProblemStore, PostgresChannelProblemStore>();
        return services;
    }
}
