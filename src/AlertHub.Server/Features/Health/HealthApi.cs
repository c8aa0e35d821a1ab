namespace AlertHub.Server.Features.Health;

internal sealed record HealthReport(string Status, bool Store, bool Workers, string? Reason, IReadOnlyDictionary<string, string>? Degraded = null);

internal static class HealthApi
{
    /// <summary>The degraded component that says the cluster's Redis is unreachable or failing over.</summary>
    public const string RedisComponent = "redis";

    public static IHostApplicationBuilder AddHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<HealthState>();
        // Registered first so it runs before the workers start.
        builder.Services.AddHostedService<StartupInitializer>();
        return builder;
    }

    public static IEndpointConventionBuilder MapHealthApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/health", (HealthState health, IServiceProvider services) =>
        {
            if (health.StoreReady && health.WorkersRunning)
            {
                var degraded = health.Degraded;
                // The cluster's Redis failing over (or down) is degraded, not unavailable: this node still sends to its own
                // residents and counts limits itself meanwhile.
                if (services.GetService<Cluster.ClusterRedis>()?.Problem is { } redis)
                {
                    degraded = new Dictionary<string, string>(degraded) { [RedisComponent] = redis };
                }

                return Results.Ok(new HealthReport("ready", true, true, null, degraded.Count > 0 ? degraded : null));
            }

            var reason = health.StoreError is { } error ? $"store failed: {error}"
                : !health.StoreReady ? "store is opening"
                : "delivery workers are not running";
            return Results.Json(new HealthReport("unavailable", health.StoreReady, health.WorkersRunning, reason), statusCode: 503);
        }).WithTags("Health").AllowAnonymous();
}
