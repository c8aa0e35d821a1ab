using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Features.Telephony;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

internal static class TelephonySetup
{
    public static IHostApplicationBuilder AddVoiceChannel(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Channels:Voice");
        builder.Services.Configure<VoiceChannelOptions>(section);
        if (!section.GetValue<bool>("Enabled"))
        {
            return builder;
        }

        var options = section.Get<VoiceChannelOptions>() ?? new VoiceChannelOptions();
        ValidateVoice(options);
        AddShared(builder);
        builder.Services.AddSingleton<IValidateOptions<VoiceChannelOptions>, AccountPolicyValidator<VoiceChannelOptions>>();
        builder.Services.AddOptions<VoiceChannelOptions>().ValidateOnStart();
        builder.Services.AddSingleton<VoiceChannel>();
        builder.Services.AddSingleton<IDeliveryChannel>(sp => sp.GetRequiredService<VoiceChannel>());
        builder.Services.AddSingleton<TelephonyChannel>(sp => sp.GetRequiredService<VoiceChannel>());
        builder.Services.AddSingleton<IEndpointValidator>(new PhoneEndpointValidator(VoiceChannel.ChannelName, mobileOnly: false));
        return builder;
    }

    public static IHostApplicationBuilder AddSmsChannel(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Channels:Sms");
        builder.Services.Configure<SmsChannelOptions>(section);
        if (!section.GetValue<bool>("Enabled"))
        {
            return builder;
        }

        var options = section.Get<SmsChannelOptions>() ?? new SmsChannelOptions();
        if (string.IsNullOrWhiteSpace(options.From) && string.IsNullOrWhiteSpace(options.MessagingServiceSid))
        {
            throw new OptionsValidationException("Channels:Sms", typeof(SmsChannelOptions), ["Channels:Sms: From or MessagingServiceSid is required"]);
        }

        if (options.MaxSegments is < 1 or > 10 || options.ValidityPeriodSeconds is < 1 or > 36000 || options.MessagesPerSecond <= 0)
        {
            throw new OptionsValidationException("Channels:Sms", typeof(SmsChannelOptions),
                ["Channels:Sms: MaxSegments must be 1–10, ValidityPeriodSeconds 1–36000 and MessagesPerSecond above 0"]);
        }

        AddShared(builder);
        builder.Services.AddSingleton<IValidateOptions<SmsChannelOptions>, AccountPolicyValidator<SmsChannelOptions>>();
        builder.Services.AddOptions<SmsChannelOptions>().ValidateOnStart();
        builder.Services.AddSingleton<SmsChannel>();
        builder.Services.AddSingleton<IDeliveryChannel>(sp => sp.GetRequiredService<SmsChannel>());
        builder.Services.AddSingleton<TelephonyChannel>(sp => sp.GetRequiredService<SmsChannel>());
        // Twilio cannot text a Japanese landline (21614): only mobile numbers register for SMS.
        builder.Services.AddSingleton<IEndpointValidator>(new PhoneEndpointValidator(SmsChannel.ChannelName, mobileOnly: true));
        return builder;
    }

    private static void ValidateVoice(VoiceChannelOptions o)
    {
        var failures = new List<string>();
        if (PhoneNumbers.TryNormalise(o.From, out _) is null)
        {
            failures.Add("From must be the city's Twilio number in E.164 (+81…)");
        }

        if (o.CallsPerSecond is <= 0 or > 1000 || o.RingTimeoutSeconds is < 5 or > 600 || o.GatherTimeoutSeconds is < 1 or > 60)
        {
            failures.Add("CallsPerSecond must be above 0, RingTimeoutSeconds 5–600 and GatherTimeoutSeconds 1–60");
        }

        if (o.MachineDetection is not ("Enable" or "DetectMessageEnd"))
        {
            failures.Add("MachineDetection must be Enable or DetectMessageEnd");
        }

        if (o.Retries.Count > 10 || o.Retries.Any(d => d < TimeSpan.Zero || d > TimeSpan.FromHours(6)))
        {
            failures.Add("RetrySchedule has at most 10 delays of 0–6 h");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("Channels:Voice", typeof(VoiceChannelOptions), failures.Select(f => "Channels:Voice: " + f));
        }
    }

    private static void AddShared(IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<TelephonyStore>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TelephonyRetryWorker>());
    }

    /// <summary>The account's API base must pass <c>Security:OutboundUrls</c> before the hub starts, and its identifiers be well-formed.</summary>
    private sealed class AccountPolicyValidator<T>(OutboundUrlPolicy policy) : IValidateOptions<T> where T : TwilioAccountOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            try
            {
                TwilioClients.Validate(options, typeof(T) == typeof(VoiceChannelOptions) ? "Channels:Voice" : "Channels:Sms", policy);
                return ValidateOptionsResult.Success;
            }
            catch (OptionsValidationException e)
            {
                return ValidateOptionsResult.Fail(e.Failures);
            }
        }
    }
}

/// <summary>
/// Phone endpoints (<c>voice</c>, <c>sms</c>): the number in E.164, Japanese 0… numbers normalised to +81…. SMS takes only
/// mobile numbers (070/080/090), as Twilio cannot text a Japanese landline.
/// </summary>
internal sealed class PhoneEndpointValidator(string channel, bool mobileOnly) : IEndpointValidator
{
    public string Channel => channel;

    public ValidEndpoint Validate(EndpointDto endpoint, int index)
    {
        var where = new Dictionary<string, object?> { ["index"] = index };
        if (PhoneNumbers.TryNormalise(endpoint.Address, out var reason) is not { } number)
        {
            throw new RequestValidationException(Problems.ResidentPhoneInvalid, $"endpoints[{index}].address: {reason}", where);
        }

        if (mobileOnly && number.Kind is LineKind.Landline or LineKind.IpPhone)
        {
            throw new RequestValidationException(Problems.ResidentPhoneNotMobile,
                $"endpoints[{index}].address: SMS goes to mobile numbers (070/080/090) only; register this number for 'voice' instead.", where);
        }

        return new ValidEndpoint(channel, number.E164, null);
    }
}
