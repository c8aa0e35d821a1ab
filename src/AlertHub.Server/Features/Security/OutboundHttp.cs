using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.Server.Features.Security;

/// <summary>
/// The one recipe for the hub's outbound HTTP clients. Every client gets a handler that follows no redirect (a redirect
/// could lead past the outbound policy and carry a bearer token along), keeps no cookies, and recycles pooled connections
/// every 5 minutes (so DNS changes are seen). A <em>guarded</em> client also checks every connection against
/// <c>Security:OutboundUrls</c> after DNS — for every URL that came from outside the hub's own configuration: residents'
/// webhooks and push endpoints, feeds, cameras, social accounts, radio gateways, staff webhooks. Provider clients whose
/// base URL is fixed by the operator (FCM, LINE) are not guarded, so an allowlist written for residents' webhooks does not
/// cut the city off from its own providers.
/// </summary>
internal static class OutboundHttp
{
    /// <summary>A handler made by the recipe; <paramref name="policy"/> guards its connections when given.</summary>
    public static SocketsHttpHandler CreateHandler(OutboundUrlPolicy? policy) => new()
    {
        ConnectCallback = policy is null ? null : policy.ConnectAsync,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,
        UseCookies = false,
    };

    /// <summary>Registers the outbound URL policy (bound to <c>Security:OutboundUrls</c>) once, however many features ask.</summary>
    public static IServiceCollection AddOutboundUrlPolicy(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(OutboundUrlPolicy)))
        {
            return services;
        }

        services.Configure<OutboundUrlOptions>(configuration.GetSection("Security:OutboundUrls"));
        services.TryAddSingleton<OutboundUrlPolicy>();
        return services;
    }

    /// <summary>
    /// A named client made by the recipe. Its timeout is infinite (callers bound each request) unless
    /// <paramref name="configureClient"/> sets one; <paramref name="configureHandler"/> tunes the handler (connection limits,
    /// HTTP/2, decompression) but the recipe's safety settings are applied after it, so it cannot undo them.
    /// </summary>
    public static IHttpClientBuilder AddOutboundHttpClient(this IServiceCollection services, string name, bool guarded,
        Action<IServiceProvider, HttpClient>? configureClient = null, Action<IServiceProvider, SocketsHttpHandler>? configureHandler = null)
    {
        return services.AddHttpClient(name, (sp, client) =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                configureClient?.Invoke(sp, client);
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var policy = guarded ? sp.GetRequiredService<OutboundUrlPolicy>() : null;
                var handler = CreateHandler(policy);
                configureHandler?.Invoke(sp, handler);
                handler.AllowAutoRedirect = false;
                handler.UseCookies = false;
                if (policy is not null)
                {
                    handler.ConnectCallback = policy.ConnectAsync;
                }

                return handler;
            });
    }
}
