using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

internal static class TelephonySetup
{
    /// <summary>What <c>voice</c> adds besides the channel: the shared attempt store and retry worker, its options' checks, and phone endpoints.</summary>
    public static void ConfigureVoice(ChannelBuilder<VoiceChannelOptions> channel)
    {
        AddShared(channel.Services);
        channel.Services.AddSingleton<TelephonyChannel>(sp => sp.GetRequiredService<VoiceChannel>());
        channel.Services.AddSingleton<IEndpointValidator>(new PhoneEndpointValidator(channel.Name, mobileOnly: false));
        channel.AddOptionsValidator<VoiceOptionsValidator>();
    }

    /// <summary>What <c>sms</c> adds: as voice, but only mobile numbers register (Twilio cannot text a Japanese landline, 21614).</summary>
    public static void ConfigureSms(ChannelBuilder<SmsChannelOptions> channel)
    {
        AddShared(channel.Services);
        channel.Services.AddSingleton<TelephonyChannel>(sp => sp.GetRequiredService<SmsChannel>());
        channel.Services.AddSingleton<IEndpointValidator>(new PhoneEndpointValidator(channel.Name, mobileOnly: true));
        channel.AddOptionsValidator<SmsOptionsValidator>();
    }

    public static List<string> VoiceFailures(VoiceChannelOptions o)
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

        return failures;
    }

    public static List<string> SmsFailures(SmsChannelOptions o)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(o.From) && string.IsNullOrWhiteSpace(o.MessagingServiceSid))
        {
            failures.Add("From or MessagingServiceSid is required");
        }

        if (o.MaxSegments is < 1 or > 10 || o.ValidityPeriodSeconds is < 1 or > 36000 || o.MessagesPerSecond <= 0)
        {
            failures.Add("MaxSegments must be 1–10, ValidityPeriodSeconds 1–36000 and MessagesPerSecond above 0");
        }

        return failures;
    }

    private static void AddShared(IServiceCollection services)
    {
        services.TryAddSingleton<TelephonyAttempts>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Residents.IResidentRecords, TelephonyResidentRecords>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TelephonyRetryWorker>());
    }

    /// <summary>The account's API base must pass <c>Security:OutboundUrls</c> and its identifiers be well-formed; checked when the hub starts.</summary>
    private static ValidateOptionsResult Check<T>(T options, string section, OutboundUrlPolicy policy, List<string> failures) where T : TwilioAccountOptions
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Skip;
        }

        var all = failures.Select(f => $"{section}: {f}").ToList();
        try
        {
            TwilioClients.Validate(options, section, policy);
        }
        catch (OptionsValidationException e)
        {
            all.AddRange(e.Failures);
        }

        return all.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(all);
    }

    private sealed class VoiceOptionsValidator(OutboundUrlPolicy policy) : IValidateOptions<VoiceChannelOptions>
    {
        public ValidateOptionsResult Validate(string? name, VoiceChannelOptions options) => Check(options, "Channels:Voice", policy, VoiceFailures(options));
    }

    private sealed class SmsOptionsValidator(OutboundUrlPolicy policy) : IValidateOptions<SmsChannelOptions>
    {
        public ValidateOptionsResult Validate(string? name, SmsChannelOptions options) => Check(options, "Channels:Sms", policy, SmsFailures(options));
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
