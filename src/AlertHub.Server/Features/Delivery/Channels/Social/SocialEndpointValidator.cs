using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Delivery.Channels.Social;

/// <summary>Residents cannot subscribe to the social channel: it posts to the city's own accounts.</summary>
internal sealed class SocialEndpointValidator : IEndpointValidator
{
    public string Channel => SocialChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index) =>
        throw new RequestValidationException(Problems.ResidentChannelUnknown,
            $"endpoints[{index}]: 'social' posts to the city's public accounts; follow them there instead.");
}
