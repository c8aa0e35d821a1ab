using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

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
        builder.Services.AddSingleton<SocialChannel>();
        builder.Services.AddSingleton<IDeliveryChannel>(sp => sp.GetRequiredService<SocialChannel>());
        builder.Services.AddSingleton<IBroadcastChannel>(sp => sp.GetRequiredService<SocialChannel>());
        builder.Services.AddSingleton<IEndpointValidator, SocialEndpointValidator>();
        builder.Services.AddHttpClient(SocialChannel.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        return builder;
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
