using System.Net;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Feeds.Polling;

internal static class FeedPollingSetup
{
    /// <summary>
    /// Registers <see cref="FeedPollerStatus"/> always, and the JMA poller (options, HTTP client, seen-id store,
    /// background service) when <c>Feeds:Jma:Enabled</c>. Needs an <see cref="IFeedIntake"/> registered elsewhere.
    /// </summary>
    public static IHostApplicationBuilder AddJmaFeedPolling(this IHostApplicationBuilder builder)
    {
        builder.Services.AddJmaFeedPolling(builder.Configuration);
        return builder;
    }

    /// <summary>The same for a bare service collection; calling it twice registers nothing twice.</summary>
    public static IServiceCollection AddJmaFeedPolling(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<FeedPollerStatus>();
        if (services.Any(d => d.ServiceType == typeof(FeedPollingMarker)))
        {
            return services;
        }

        services.AddSingleton<FeedPollingMarker>();
        var section = configuration.GetSection(FeedPollingOptions.Section);
        services.AddOptions<FeedPollingOptions>()
            .Bind(section)
            .Validate(o => o.Interval > TimeSpan.Zero && o.MaxBackoff >= o.Interval, "Feeds:Jma:Interval must be positive and no longer than MaxBackoff.")
            .Validate(o => o.MaxFeedBytes > 0 && o.MaxTelegramBytes > 0, "Feeds:Jma:MaxFeedBytes and MaxTelegramBytes must be positive.")
            .Validate(o => o.MaxConcurrentFetches is > 0 and <= 64, "Feeds:Jma:MaxConcurrentFetches must be 1–64.")
            .Validate(o => o.MaxTelegramAttempts > 0, "Feeds:Jma:MaxTelegramAttempts must be positive.")
            .Validate(o => o.EffectiveFeedUrls.All(u => Uri.TryCreate(u, UriKind.Absolute, out _)), "Feeds:Jma:FeedUrls must be absolute URLs.")
            .ValidateOnStart();
        if (!section.GetValue<bool>(nameof(FeedPollingOptions.Enabled)))
        {
            return services;
        }

        services.AddOutboundUrlPolicy(configuration);
        services.TryAddSingleton<FeedSeenEntries>();
        services.AddClusterLeases(configuration);
        services.AddOutboundHttpClient(JmaFeedPoller.HttpClientName, guarded: true,
            (sp, c) =>
            {
                c.Timeout = sp.GetRequiredService<IOptions<FeedPollingOptions>>().Value.RequestTimeout;
                c.DefaultRequestHeaders.UserAgent.ParseAdd("AlertHub-FeedPoller/1.0");
            },
            // Size limits apply to the decompressed bytes, so a compression bomb is still cut off.
            (_, handler) => handler.AutomaticDecompression = DecompressionMethods.All);
        services.AddHostedService<JmaFeedPoller>();
        return services;
    }

    private sealed class FeedPollingMarker;
}
