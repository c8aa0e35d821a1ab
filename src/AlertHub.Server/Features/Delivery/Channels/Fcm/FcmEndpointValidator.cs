using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Delivery.Channels.Fcm;

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
