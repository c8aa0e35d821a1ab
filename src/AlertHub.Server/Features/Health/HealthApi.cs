namespace AlertHub.Server.Features.Health;

internal sealed record HealthReport(string Status, bool Store, bool Workers, string? Reason, IReadOnlyDictionary<string, string>? Degraded = null);

internal static class HealthApi
{
    public static IHostApplicationBuilder AddHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<HealthState>();
        // Registered first so it runs before the workers start.
        builder.Services.AddHostedService<StartupInitializer>();
        return builder;
    }

    public static IEndpointConventionBuilder MapHealthApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/health", (HealthState health) =>
        {
            if (health.StoreReady && health.WorkersRunning)
            {
                return Results.Ok(new HealthReport("ready", true, true, null, health.Degraded.Count > 0 ? health.Degraded : null));
            }

            var reason = health.StoreError is { } error ? $"store failed: {error}"
                : !health.StoreReady ? "store is opening"
                : "delivery workers are not running";
            return Results.Json(new HealthReport("unavailable", health.StoreReady, health.WorkersRunning, reason), statusCode: 503);
        }).WithTags("Health").AllowAnonymous();
}
