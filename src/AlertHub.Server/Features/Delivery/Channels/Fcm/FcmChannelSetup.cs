using System.Net;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Fcm;

/// <summary>Registers the fcm channel when <c>Channels:Fcm:Enabled</c> is true; its settings are checked at start.</summary>
internal static class FcmChannelSetup
{
    public static IHostApplicationBuilder AddFcmChannel(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Channels:Fcm");
        builder.Services.Configure<FcmChannelOptions>(section);
        if (!section.GetValue<bool>("Enabled"))
        {
            return builder;
        }

        builder.Services.AddSingleton<IValidateOptions<FcmChannelOptions>, FcmChannelOptionsValidator>();
        builder.Services.AddOptions<FcmChannelOptions>().ValidateOnStart();
        builder.Services.AddSingleton<IFcmAccessTokens>(sp =>
            new GoogleFcmAccessTokens(sp.GetRequiredService<IOptions<FcmChannelOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IDeliveryChannel, FcmChannel>();
        builder.Services.AddSingleton<IEndpointValidator, FcmEndpointValidator>();
        builder.Services.AddHttpClient(FcmChannel.HttpClientName, (sp, c) =>
            {
                var o = sp.GetRequiredService<IOptions<FcmChannelOptions>>().Value;
                c.Timeout = Timeout.InfiniteTimeSpan; // per request, in the channel
                c.DefaultRequestVersion = o.ParsedHttpVersion;
                c.DefaultVersionPolicy = o.HttpVersionPolicy;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // HTTP/2 multiplexes ~100 streams per connection; more connections open as concurrency needs them.
                EnableMultipleHttp2Connections = true,
                MaxConnectionsPerServer = sp.GetRequiredService<IOptions<FcmChannelOptions>>().Value.MaxConcurrency,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.None,
                AllowAutoRedirect = false,
                UseCookies = false,
            });
        return builder;
    }

    public static IEndpointRouteBuilder MapFcmChannel(this IEndpointRouteBuilder app) => app;
}

/// <summary>An FCM registration token: 20–4096 characters of <c>[A-Za-z0-9_:-]</c> (real tokens are ~150–250, like <c>cXyz…:APA91b…</c>).</summary>
internal sealed class FcmEndpointValidator : IEndpointValidator
{
    public string Channel => FcmChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index)
    {
        var token = endpoint.Address?.Trim();
        if (!IsPlausibleToken(token))
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid,
                $"endpoints[{index}].address must be the device's FCM registration token (20–4096 characters of A–Z, a–z, 0–9, '_', '-', ':').",
                new Dictionary<string, object?> { ["index"] = index });
        }

        return new ValidEndpoint(Channel, token!, null);
    }

    internal static bool IsPlausibleToken(string? token) =>
        token is { Length: >= 20 and <= 4096 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':');
}
