using AlertHub.Core.Crypto;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>The application server key browsers pass to <c>pushManager.subscribe({ applicationServerKey })</c>.</summary>
internal sealed record VapidPublicKeyResponse(string PublicKey);

/// <summary>What the webpush channel serves: the VAPID public key, made or loaded at start.</summary>
internal static partial class WebPushChannelSetup
{
    public const string VapidPublicKeyPath = "/api/webpush/vapid-public-key";

    public static void MapVapidPublicKey(IEndpointRouteBuilder app)
    {
        // Load or create the VAPID key now, so a bad key configuration fails at start rather than at the first alert.
        _ = app.ServiceProvider.GetRequiredService<VapidSigner>();
        // Say which P-256 code encrypts: the .NET fallback costs about five times the CPU per message.
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebPushChannel).FullName!);
        if (P256KeyAgreement.Default is OpenSslP256KeyAgreement)
        {
            LogP256(logger, P256KeyAgreement.Default.Name);
        }
        else
        {
            LogP256Fallback(logger, P256KeyAgreement.Default.Name);
        }

        // Public: a resident's browser needs it before it can subscribe.
        app.MapGet(VapidPublicKeyPath, (VapidSigner vapid) => TypedResults.Ok(new VapidPublicKeyResponse(vapid.PublicKey)))
            .WithTags("Channels").AllowAnonymous();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Web Push: P-256 key agreement through {Implementation}")]
    private static partial void LogP256(ILogger logger, string implementation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web Push: libcrypto could not be used, P-256 goes through {Implementation} (about 5x the CPU per message)")]
    private static partial void LogP256Fallback(ILogger logger, string implementation);
}

/// <summary>
/// Web Push endpoints: the subscription's endpoint URL (allowed by the outbound policy) and its keys, a P-256
/// <c>p256dh</c> point and a 16-byte <c>auth</c> secret; the keys are kept as JSON in the endpoint's secret.
/// </summary>
internal sealed class WebPushEndpointValidator(OutboundUrlPolicy urlPolicy) : IEndpointValidator
{
    public string Channel => WebPushChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index)
    {
        var where = new Dictionary<string, object?> { ["index"] = index };
        if (endpoint.Address is not { Length: > 0 and <= 2000 } url)
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid, $"endpoints[{index}].address must be the push subscription's endpoint URL.", where);
        }

        if (!urlPolicy.IsAllowed(url, out var reason))
        {
            throw new RequestValidationException(Problems.ResidentEndpointUrlForbidden, $"endpoints[{index}].address: {reason}", where);
        }

        var keys = endpoint.Keys;
        if (keys is null || !keys.TryGetValue("p256dh", out var p256dh) || !keys.TryGetValue("auth", out var auth))
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid,
                $"endpoints[{index}].keys must hold the subscription's p256dh and auth (PushSubscription.toJSON().keys).", where);
        }

        if (!WebPushKeys.TryParse(p256dh, auth, out _, out var error))
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid, $"endpoints[{index}].{error}", where);
        }

        return new ValidEndpoint(Channel, url, WebPushChannel.SerializeKeys(p256dh.TrimEnd('='), auth.TrimEnd('=')));
    }
}
