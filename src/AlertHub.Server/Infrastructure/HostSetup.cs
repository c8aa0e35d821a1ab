using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;

namespace AlertHub.Server.Infrastructure;

/// <summary>Configuration section <c>Http</c>.</summary>
public sealed class HttpLimitsOptions
{
    /// <summary>Largest request body for endpoints without their own limit. Default 1 MiB.</summary>
    public long DefaultMaxBodyBytes { get; set; } = 1024 * 1024;
}

internal static class HostSetup
{
    public static IHostApplicationBuilder AddHubDefaults(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<AlertHubTelemetry>();
        services.AddSingleton(new AlertHub.Core.Cluster.ClusterNode(builder.Configuration["Cluster:NodeName"]));
        services.Configure<HttpLimitsOptions>(builder.Configuration.GetSection("Http"));
        services.Configure<HubOptions>(builder.Configuration.GetSection("Hub"));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.AddCode);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.Configure<StoreUnavailableOptions>(builder.Configuration.GetSection("Storage"));
        services.Configure<JsonOptions>(o => Json.Configure(o.SerializerOptions));
        // SignalR messages carry Japanese as UTF-8 (3 bytes a character) instead of \uXXXX escapes (6), as the HTTP API does.
        // HTML-sensitive characters stay escaped; clients read the messages with JSON.parse and show them as text.
        services.Configure<Microsoft.AspNetCore.SignalR.JsonHubProtocolOptions>(o =>
            o.PayloadSerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All));
        // Body binding failures throw, so the exception handler can answer with a stable code.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = null);
        return builder;
    }

    public static WebApplication UseHubDefaults(this WebApplication app)
    {
        // First, so everything after it (limits keyed by client address, Secure cookies) sees the real client.
        var forwarded = app.Configuration.GetSection("Http:ForwardedHeaders").Get<ForwardedHeadersSettings>() ?? new ForwardedHeadersSettings();
        if (forwarded.Enabled)
        {
            app.UseForwardedHeaders(forwarded.ToOptions());
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        var defaultLimit = builderLimit(app);
        app.UseMiddleware<BodyLimitMiddleware>(defaultLimit);
        app.UseMiddleware<JsonTextMiddleware>();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;

        static long builderLimit(WebApplication app) =>
            app.Configuration.GetSection("Http").Get<HttpLimitsOptions>()?.DefaultMaxBodyBytes ?? new HttpLimitsOptions().DefaultMaxBodyBytes;
    }
}
