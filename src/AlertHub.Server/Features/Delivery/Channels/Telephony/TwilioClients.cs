using AlertHub.Server.Features.Security;
using Twilio.Clients;
using Twilio.Exceptions;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>
/// Builds the SDK's REST client on our own <see cref="HttpClient"/>: connections pass the outbound URL policy, and when
/// <see cref="TwilioAccountOptions.ApiBaseUrl"/> is not Twilio's a handler sends every request there instead (the SDK has
/// no base-URL option; path and query stay as the SDK wrote them).
/// </summary>
internal static class TwilioClients
{
    public static TwilioRestClient Create(TwilioAccountOptions options, OutboundUrlPolicy policy)
    {
        var socket = new SocketsHttpHandler
        {
            ConnectCallback = policy.ConnectAsync,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        HttpMessageHandler handler = socket;
        if (Uri.TryCreate(options.ApiBaseUrl, UriKind.Absolute, out var baseUrl) && !baseUrl.Host.EndsWith("twilio.com", StringComparison.OrdinalIgnoreCase))
        {
            handler = new RebaseHandler(baseUrl) { InnerHandler = socket };
        }

        var http = new HttpClient(handler) { Timeout = options.RequestTimeout };
        return new TwilioRestClient(options.AccountSid, options.AuthToken, options.AccountSid, options.Region,
            new Twilio.Http.SystemNetHttpClient(http), options.Edge);
    }

    /// <summary>Checks the options a channel cannot run without; throws at start, not at the first alert.</summary>
    public static void Validate(TwilioAccountOptions options, string section, OutboundUrlPolicy policy)
    {
        var failures = new List<string>();
        if (!System.Text.RegularExpressions.Regex.IsMatch(options.AccountSid, "^AC[0-9a-f]{32}$"))
        {
            failures.Add("AccountSid must be AC followed by 32 lowercase hex digits");
        }

        if (options.AuthToken.Length < 16)
        {
            failures.Add("AuthToken is required");
        }

        if (!policy.IsAllowed(options.ApiBaseUrl, out var reason))
        {
            failures.Add($"ApiBaseUrl is refused by Security:OutboundUrls: {reason}");
        }

        if (options.MaxConcurrency is < 1 or > 256 || options.MaxBatchSize is < 1 or > 10_000)
        {
            failures.Add("MaxConcurrency must be 1–256 and MaxBatchSize 1–10000");
        }

        if (failures.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(section, options.GetType(), failures.Select(f => $"{section}: {f}"));
        }
    }

    /// <summary>What a Twilio REST error means for the outbox.</summary>
    public static (Core.Delivery.DeliveryOutcome Outcome, bool CredentialsRefused) Classify(ApiException e) => (e.Status, e.Code) switch
    {
        (429, _) or (_, 20429) => (Core.Delivery.DeliveryOutcome.Throttled, false),
        (401, _) or (_, 20003) => (Core.Delivery.DeliveryOutcome.Transient, true),
        // 21211 not a valid number, 21614 / 21635 not a mobile (SMS to a landline), 21610 the recipient replied STOP.
        (_, 21211 or 21614 or 21635 or 21610 or 13223 or 13224) => (Core.Delivery.DeliveryOutcome.AddressGone, false),
        (>= 500, _) or (0, _) => (Core.Delivery.DeliveryOutcome.Transient, false),
        _ => (Core.Delivery.DeliveryOutcome.Rejected, false),
    };

    private sealed class RebaseHandler(Uri baseUrl) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri)
            {
                request.RequestUri = new UriBuilder(uri) { Scheme = baseUrl.Scheme, Host = baseUrl.Host, Port = baseUrl.Port }.Uri;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
