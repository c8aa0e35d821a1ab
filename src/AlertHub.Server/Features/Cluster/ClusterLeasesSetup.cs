using AlertHub.Core.Cluster;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.Server.Features.Cluster;

internal static class ClusterLeasesSetup
{
    /// <summary>
    /// Registers <see cref="IClusterLeases"/> (in this process unless the store engine registered a shared one, as PostgreSQL
    /// does), its options and <see cref="ClusterLeaseRunner"/>. Calling it twice registers nothing twice.
    /// </summary>
    public static IServiceCollection AddClusterLeases(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<IClusterLeases, InProcessClusterLeases>();
        services.TryAddSingleton<ClusterLeaseRunner>();
        if (services.Any(d => d.ServiceType == typeof(ClusterLeasesMarker)))
        {
            return services;
        }

        services.AddSingleton<ClusterLeasesMarker>();
        services.AddOptions<ClusterLeaseOptions>()
            .Bind(configuration.GetSection(ClusterLeaseOptions.Section))
            .Validate(o => o.RenewInterval > TimeSpan.Zero && o.RenewInterval * 3 <= o.TimeToLive,
                "Cluster:Leases:RenewInterval must be positive and at most a third of Cluster:Leases:TimeToLive.")
            .ValidateOnStart();
        return services;
    }

    private sealed class ClusterLeasesMarker;
}
