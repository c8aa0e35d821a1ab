using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>LINE endpoints: the user id from a webhook event, <c>U</c> and 32 lowercase hex digits.</summary>
internal sealed class LineEndpointValidator : IEndpointValidator
{
    public string Channel => LineChannel.ChannelName;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    public static bool IsUserId(string? value) =>
        value is { Length: 33 } && value[0] == 'U' && value.AsSpan(1).IndexOfAnyExcept(LowerHex) < 0;

    public ValidEndpoint Validate(EndpointDto endpoint, int index)
    {
        var address = endpoint.Address?.Trim();
        if (!IsUserId(address))
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid,
                $"endpoints[{index}].address must be a LINE user id: U followed by 32 lowercase hex digits.",
                new Dictionary<string, object?> { ["index"] = index });
        }

        return new ValidEndpoint(Channel, address!, null);
    }
}
