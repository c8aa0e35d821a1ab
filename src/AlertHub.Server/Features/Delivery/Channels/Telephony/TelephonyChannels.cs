using AlertHub.Core.Delivery;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>What placing one call or message came to.</summary>
internal sealed record PlaceResult(DeliveryOutcome Outcome, string? Sid, string Detail, string? ErrorCode = null, TimeSpan? RetryAfter = null);

/// <summary>
/// The part the voice and SMS channels share: the Twilio account, the pace (CPS / MPS, and a hold after 429 / 20429), the
/// attempt records, and callback URLs the hub can verify. Outbox items and scheduled retries are placed the same way.
/// </summary>
internal abstract partial class TelephonyChannel : IDeliveryChannel, IChannelHealth, IDisposable
{
    private readonly TelephonyAttempts _store;
    private readonly AlertHubTelemetry _telemetry;
    private readonly ILogger _logger;
    private volatile string? _problem;

    protected TelephonyChannel(TwilioAccountOptions account, double perSecond, OutboundUrlPolicy policy, TelephonyAttempts store, HubOptions hub,
        AlertHubTelemetry telemetry, TimeProvider time, ILogger logger)
    {
        Account = account;
        _store = store;
        _telemetry = telemetry;
        _logger = logger;
        Time = time;
        Client = TwilioClients.Create(account, policy);
        Pacer = new RequestPacer(perSecond, time);
        CallbackBase = (string.IsNullOrWhiteSpace(account.CallbackBaseUrl) ? hub.PublicBaseUrl : account.CallbackBaseUrl).TrimEnd('/');
        Limits = new ChannelLimits(account.MaxBatchSize, MaxTitleLength: 200, MaxBodyLength: 1000, MaxConcurrency: account.MaxConcurrency);
    }

    public abstract string Name { get; }

    public bool CountsTowardKpi => true;

    public ChannelLimits Limits { get; }

    public string? Problem => _problem;

    public TwilioAccountOptions Account { get; }

    internal RequestPacer Pacer { get; }

    protected ITwilioRestClient Client { get; }

    protected TimeProvider Time { get; }

    /// <summary>Where Twilio posts back: <c>{base}/api/telephony/{path}?d={delivery key}:{attempt}</c>, the exact URL its signature covers.</summary>
    public string CallbackUrl(string path, string callbackRef) => $"{CallbackBase}/api/telephony/{path}?d={Uri.EscapeDataString(callbackRef)}";

    /// <summary>The hub's base for callbacks, to check a callback's signature against.</summary>
    public string CallbackBase { get; }

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken) =>
        await batch.SendEachAsync(Limits.MaxConcurrency, SendOneAsync, cancellationToken);

    private async Task<DeliveryItemResult> SendOneAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        var m = item.Message;
        var (attempt, created) = await _store.BeginAsync(item.IdempotencyKey, m.AlertId, m.Version, item.ResidentId, Name, item.Address, m.Language,
            Compose(m), cancellationToken);
        if (!created && attempt.Sid is not null)
        {
            // Sent again after a restart: Twilio already has this call or message; placing it twice would ring twice.
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Delivered, $"already placed {attempt.Sid}");
        }

        var result = await PlaceAsync(attempt, cancellationToken);
        return new DeliveryItemResult(item.WorkId, result.Outcome, result.Detail, result.RetryAfter)
        {
            // Refused or throttled requests never reached a phone.
            MayHaveReached = result.Outcome is DeliveryOutcome.Delivered or DeliveryOutcome.Transient,
        };
    }

    /// <summary>Places the attempt's call or message now, at the channel's pace, and records what Twilio said.</summary>
    public async Task<PlaceResult> PlaceAsync(TelephonyAttempt attempt, CancellationToken cancellationToken)
    {
        await Pacer.WaitAsync(cancellationToken);
        _telemetry.TelephonyRequests.Add(1, new KeyValuePair<string, object?>("channel", Name));
        PlaceResult result;
        try
        {
            var (sid, status) = await CreateAsync(attempt, cancellationToken);
            _problem = null;
            await _store.MarkPlacedAsync(attempt.Id, sid, status, CancellationToken.None);
            return new PlaceResult(DeliveryOutcome.Delivered, sid, $"{status} {sid}");
        }
        catch (ApiException e)
        {
            var (outcome, credentials) = TwilioClients.Classify(e);
            var detail = $"Twilio {e.Status} / {e.Code}: {e.Message}";
            if (outcome == DeliveryOutcome.Throttled)
            {
                // Too many concurrent requests: nothing was placed. Everyone waits, not just this item.
                Pacer.BackOff(Account.ThrottleBackoff);
                LogThrottled(_logger, Name, e.Code);
            }

            if (credentials)
            {
                _problem = "Twilio refused the account credentials (20003): check AccountSid and AuthToken.";
                LogCredentialsRefused(_logger, Name);
            }

            result = new PlaceResult(outcome, null, detail, e.Code.ToString(System.Globalization.CultureInfo.InvariantCulture),
                outcome == DeliveryOutcome.Throttled ? Account.ThrottleBackoff : null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            result = new PlaceResult(DeliveryOutcome.Transient, null, "Twilio unreachable: " + e.Message);
        }
        catch (Twilio.Exceptions.ApiConnectionException e)
        {
            result = new PlaceResult(DeliveryOutcome.Transient, null, "Twilio unreachable: " + e.Message);
        }

        if (result.Outcome is DeliveryOutcome.AddressGone or DeliveryOutcome.Rejected)
        {
            await _store.MarkRefusedAsync(attempt.Id, result.ErrorCode, result.Detail, CancellationToken.None);
        }
        else
        {
            await _store.ResetPlacingAsync(attempt.Id, result.Detail, CancellationToken.None);
        }

        return result;
    }

    /// <summary>What is said or written, stored with the attempt so retries and the TwiML request use the same words.</summary>
    protected abstract string Compose(Core.Delivery.RenderedMessage message);

    protected abstract Task<(string Sid, string Status)> CreateAsync(TelephonyAttempt attempt, CancellationToken cancellationToken);

    public void Dispose() => Pacer.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: Twilio answered 429 ({Code}), holding new requests")]
    private static partial void LogThrottled(ILogger logger, string channel, int code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Channel {Channel}: Twilio refused the account credentials")]
    private static partial void LogCredentialsRefused(ILogger logger, string channel);
}

/// <summary>
/// <c>voice</c>: a Twilio call per resident. Twilio fetches the TwiML from the hub once the call is answered (with
/// <c>AnsweredBy</c> from answering-machine detection), posts the keypad digit to the hub, and reports the call's progress to
/// <c>/api/telephony/status</c>; busy, no-answer and failed calls are tried again on <see cref="VoiceChannelOptions.RetrySchedule"/>.
/// </summary>
internal sealed class VoiceChannel(IOptions<VoiceChannelOptions> options, OutboundUrlPolicy policy, TelephonyAttempts store, IOptions<HubOptions> hub,
    AlertHubTelemetry telemetry, TimeProvider time, ILogger<VoiceChannel> logger)
    : TelephonyChannel(options.Value, options.Value.CallsPerSecond, policy, store, hub.Value, telemetry, time, logger), IChannelSetup<VoiceChannelOptions>
{
    public const string ChannelName = ChannelNames.Voice;

    public static void Configure(ChannelBuilder<VoiceChannelOptions> channel) => TelephonySetup.ConfigureVoice(channel);

    public VoiceChannelOptions Options { get; } = options.Value;

    public override string Name => ChannelName;

    protected override string Compose(Core.Delivery.RenderedMessage message) => VoiceScript.Spoken(message, Options);

    protected override async Task<(string Sid, string Status)> CreateAsync(TelephonyAttempt attempt, CancellationToken cancellationToken)
    {
        var create = new CreateCallOptions(new Twilio.Types.PhoneNumber(attempt.Address), new Twilio.Types.PhoneNumber(Options.From))
        {
            Url = new Uri(CallbackUrl("twiml", attempt.CallbackRef)),
            Method = Twilio.Http.HttpMethod.Post,
            StatusCallback = new Uri(CallbackUrl("status", attempt.CallbackRef)),
            StatusCallbackMethod = Twilio.Http.HttpMethod.Post,
            StatusCallbackEvent = ["initiated", "ringing", "answered", "completed"],
            MachineDetection = Options.MachineDetection,
            Timeout = Options.RingTimeoutSeconds,
        };
        var call = await CallResource.CreateAsync(create, Client);
        return (call.Sid, call.Status?.ToString() ?? "queued");
    }
}

/// <summary><c>sms</c>: one Twilio message per resident, fitted to the UCS-2 segment limits, with a link to the full text.</summary>
internal sealed class SmsChannel(IOptions<SmsChannelOptions> options, OutboundUrlPolicy policy, TelephonyAttempts store, IOptions<HubOptions> hub,
    AlertHubTelemetry telemetry, TimeProvider time, ILogger<SmsChannel> logger)
    : TelephonyChannel(options.Value, options.Value.MessagesPerSecond, policy, store, hub.Value, telemetry, time, logger), IChannelSetup<SmsChannelOptions>
{
    public const string ChannelName = ChannelNames.Sms;

    public static void Configure(ChannelBuilder<SmsChannelOptions> channel) => TelephonySetup.ConfigureSms(channel);

    public SmsChannelOptions Options { get; } = options.Value;

    public override string Name => ChannelName;

    /// <summary>The public page with the alert's full text in the resident's language (<c>/t/{first 12 hex of the alert id}</c>).</summary>
    public string FullTextUrl(string alertId, string language) =>
        $"{CallbackBase}/t/{alertId[..Math.Min(12, alertId.Length)]}{(language == "ja" ? "" : "/" + language)}";

    protected override string Compose(Core.Delivery.RenderedMessage m)
    {
        var text = string.IsNullOrWhiteSpace(m.Body) ? m.Headline : $"{m.Headline}\n{m.Body}{(m.Instruction is null ? "" : " " + m.Instruction)}";
        return SmsText.Fit(text.Trim(), FullTextUrl(m.AlertId, m.Language), Options.MaxSegments);
    }

    protected override async Task<(string Sid, string Status)> CreateAsync(TelephonyAttempt attempt, CancellationToken cancellationToken)
    {
        var create = new CreateMessageOptions(new Twilio.Types.PhoneNumber(attempt.Address))
        {
            Body = attempt.Spoken,
            StatusCallback = new Uri(CallbackUrl("status", attempt.CallbackRef)),
            ValidityPeriod = Options.ValidityPeriodSeconds,
        };
        if (!string.IsNullOrEmpty(Options.MessagingServiceSid))
        {
            create.MessagingServiceSid = Options.MessagingServiceSid;
        }
        else
        {
            create.From = new Twilio.Types.PhoneNumber(Options.From);
        }

        var message = await MessageResource.CreateAsync(create, Client);
        return (message.Sid, message.Status?.ToString() ?? "queued");
    }
}
