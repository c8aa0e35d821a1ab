namespace AlertHub.Server.Features.Cluster;

internal static class ClusterSetup
{
    /// <summary>Membership heartbeats on a shared store. Call before the delivery workers are added, so it stops after them.</summary>
    public static IHostApplicationBuilder AddCluster(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<ClusterOptions>(builder.Configuration.GetSection("Cluster"));
        builder.Services.AddSingleton<ClusterSelfFence>();
        builder.Services.AddHostedService<ClusterHeartbeat>();
        return builder;
    }
}
