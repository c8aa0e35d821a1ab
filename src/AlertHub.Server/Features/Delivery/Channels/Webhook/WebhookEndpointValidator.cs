using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Delivery.Channels.Webhook;

/// <summary>Webhook endpoints: an allowed http(s) URL and a signing secret.</summary>
internal sealed class WebhookEndpointValidator(OutboundUrlPolicy urlPolicy) : IEndpointValidator
{
    public string Channel => WebhookChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index)
    {
        var where = new Dictionary<string, object?> { ["index"] = index };
        if (endpoint.Address is not { Length: > 0 and <= 2000 } url)
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid, $"endpoints[{index}].address must be the webhook URL.", where);
        }

        if (!urlPolicy.IsAllowed(url, out var reason))
        {
            throw new RequestValidationException(Problems.ResidentEndpointUrlForbidden, $"endpoints[{index}].address: {reason}", where);
        }

        if (endpoint.Secret is not { Length: >= 16 and <= 256 })
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid,
                $"endpoints[{index}].secret must be 16–256 characters (it signs X-AlertHub-Signature).", where);
        }

        return new ValidEndpoint(Channel, url, endpoint.Secret);
    }
}
