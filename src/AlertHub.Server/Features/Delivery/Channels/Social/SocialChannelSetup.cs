using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Social;

internal static class SocialChannelSetup
{
    public static IHostApplicationBuilder AddSocialChannel(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Channels:Social");
        builder.Services.Configure<SocialOptions>(section);
        if (!section.GetValue<bool>("Enabled"))
        {
            return builder;
        }

        SocialChannel.Validate(section.Get<SocialOptions>() ?? new SocialOptions());
        builder.Services.TryAddSingleton<OutboundUrlPolicy>();
        builder.Services.Configure<OutboundUrlOptions>(builder.Configuration.GetSection("Security:OutboundUrls"));
        builder.Services.AddSingleton<IValidateOptions<SocialOptions>, SocialOptionsPolicyValidator>();
        builder.Services.AddOptions<SocialOptions>().ValidateOnStart();
        builder.Services.AddSingleton<SocialChannel>();
        builder.Services.AddSingleton<IDeliveryChannel>(sp => sp.GetRequiredService<SocialChannel>());
        builder.Services.AddSingleton<IBroadcastChannel>(sp => sp.GetRequiredService<SocialChannel>());
        builder.Services.AddSingleton<IEndpointValidator, SocialEndpointValidator>();
        builder.Services.AddHttpClient(SocialChannel.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<OutboundUrlPolicy>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AllowAutoRedirect = false, // a redirect could lead past the outbound policy (and carry the bearer token along)
                UseCookies = false,
            });
        return builder;
    }
}

/// <summary>Every account's BaseUrl must pass <c>Security:OutboundUrls</c> before the hub starts: a refused instance is a configuration error, not a retry loop.</summary>
internal sealed class SocialOptionsPolicyValidator(OutboundUrlPolicy policy) : IValidateOptions<SocialOptions>
{
    public ValidateOptionsResult Validate(string? name, SocialOptions options)
    {
        var failures = new List<string>();
        foreach (var account in options.Accounts)
        {
            if (!policy.IsAllowed(account.BaseUrl, out var reason))
            {
                failures.Add($"Channels:Social account {account.Name}: BaseUrl is refused by Security:OutboundUrls: {reason}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Residents cannot subscribe to the social channel: it posts to the city's own accounts.</summary>
internal sealed class SocialEndpointValidator : IEndpointValidator
{
    public string Channel => SocialChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index) =>
        throw new RequestValidationException(Problems.ResidentChannelUnknown,
            $"endpoints[{index}]: 'social' posts to the city's public accounts; follow them there instead.");
}
