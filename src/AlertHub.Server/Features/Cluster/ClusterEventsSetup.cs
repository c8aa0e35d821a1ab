using AlertHub.Core.Cluster;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.Server.Features.Cluster;

internal static class ClusterEventsSetup
{
    /// <summary>
    /// Notifications between nodes: in-process unless the storage engine registered a shared implementation first
    /// (PostgreSQL does, in <c>AddStorage</c>). Options: <c>Cluster:Events</c>.
    /// </summary>
    public static IHostApplicationBuilder AddClusterEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<ClusterEventsOptions>(builder.Configuration.GetSection("Cluster:Events"));
        builder.Services.TryAddSingleton<IClusterEvents, InProcessClusterEvents>();
        return builder;
    }
}
