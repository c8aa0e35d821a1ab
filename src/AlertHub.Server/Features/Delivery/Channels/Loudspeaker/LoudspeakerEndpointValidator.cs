using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Delivery.Channels.Loudspeaker;

/// <summary>Residents do not subscribe to loudspeakers: the gateways are configured by the city.</summary>
internal sealed class LoudspeakerEndpointValidator : IEndpointValidator
{
    public string Channel => LoudspeakerChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index) =>
        throw new RequestValidationException(Problems.ResidentChannelUnknown, $"endpoints[{index}]: 'loudspeaker' is the city's radio, not a personal channel.");
}
