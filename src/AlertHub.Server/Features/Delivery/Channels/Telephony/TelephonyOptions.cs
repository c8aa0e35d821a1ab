namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>The Twilio account a telephony channel uses (<c>Channels:Voice</c> and <c>Channels:Sms</c> each have one; usually the same).</summary>
public abstract class TwilioAccountOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Account SID, <c>AC</c> + 32 hex digits. Required.</summary>
    public string AccountSid { get; set; } = "";

    /// <summary>Auth token: signs the REST calls and verifies <c>X-Twilio-Signature</c> on callbacks. Required; never logged.</summary>
    public string AuthToken { get; set; } = "";

    /// <summary>Where the REST API is reached. Default https://api.twilio.com (the SDK builds the host from <see cref="Region"/>
    /// and <see cref="Edge"/>); anything else — a loopback fake in tests — replaces scheme, host and port of every request.
    /// Must pass <c>Security:OutboundUrls</c>.</summary>
    public string ApiBaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>Twilio edge location, e.g. <c>tokyo</c> (Twilio's Japanese guidance asks JP→JP voice to use it). Default none.</summary>
    public string? Edge { get; set; }

    /// <summary>Twilio region, e.g. <c>jp1</c>. Default none (us1).</summary>
    public string? Region { get; set; }

    /// <summary>The hub's address as Twilio reaches it, for status callbacks, TwiML and keypad answers. Default <c>Hub:PublicBaseUrl</c>.
    /// Signatures are checked against exactly this URL, so it must be what Twilio was given (no :443 added or dropped).</summary>
    public string? CallbackBaseUrl { get; set; }

    /// <summary>Timeout of one REST request. Default 15 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the channel waits after a 429 / 20429 (too many concurrent requests) before the next request. Default 2 s.</summary>
    public TimeSpan ThrottleBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Items per batch. Default 100.</summary>
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>REST requests in flight at once (Twilio refuses too many concurrent requests with 20429). Default 8.</summary>
    public int MaxConcurrency { get; set; } = 8;
}

/// <summary>Configuration section <c>Channels:Voice</c>: alerts read aloud by telephone (Twilio Programmable Voice).</summary>
public sealed class VoiceChannelOptions : TwilioAccountOptions
{
    /// <summary>The caller id: a Twilio number of the city in E.164 (e.g. +81182…). Required.</summary>
    public string From { get; set; } = "";

    /// <summary>Calls started per second: the account's CPS (Twilio's default is 1; it queues calls beyond it). Default 1.</summary>
    public double CallsPerSecond { get; set; } = 1;

    /// <summary>How long a call rings before it counts as no-answer, in seconds (Twilio allows up to 600). Default 30.</summary>
    public int RingTimeoutSeconds { get; set; } = 30;

    /// <summary>When to call again after busy, no-answer or failed: one delay per retry, counted from the failed call's end.
    /// Default (when none is configured) 3 min then 10 min — three calls in all, as cities' 登録制電話 services ring up to three times.
    /// Configured delays replace the default; <see cref="RetryUnanswered"/> false turns retries off.</summary>
    public List<TimeSpan>? RetrySchedule { get; set; }

    /// <summary>Call busy, no-answer and failed numbers again on <see cref="RetrySchedule"/>. Default true.</summary>
    public bool RetryUnanswered { get; set; } = true;

    /// <summary>The delays in force (the configuration binder appends to a list that has default items, so the default lives here).</summary>
    public IReadOnlyList<TimeSpan> Retries => !RetryUnanswered ? [] : RetrySchedule is { Count: > 0 } configured ? configured : [TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(10)];

    /// <summary>Answering-machine detection: <c>DetectMessageEnd</c> waits for the greeting's end so the message is recorded whole;
    /// <c>Enable</c> answers as soon as a machine is detected. Default DetectMessageEnd.</summary>
    public string MachineDetection { get; set; } = "DetectMessageEnd";

    /// <summary>How long the keypad waits for 「1」 after the message, in seconds. Default 8.</summary>
    public int GatherTimeoutSeconds { get; set; } = 8;

    /// <summary>The voice per Twilio language; an invalid voice/language pair fails the call, so only pairs Twilio lists.
    /// Default ja-JP Polly.Mizuki, en-US Polly.Joanna; other languages use Twilio's default voice.</summary>
    public Dictionary<string, string> Voices { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ja-JP"] = "Polly.Mizuki",
        ["en-US"] = "Polly.Joanna",
    };

    /// <summary>Who is calling, said first. Default 「横手市からのお知らせです。」 (and "This is a message from Yokote City." in English).</summary>
    public string Opening { get; set; } = "横手市からのお知らせです。";

    /// <summary>The opening in English and other languages. Default "This is a message from Yokote City.".</summary>
    public string OpeningEnglish { get; set; } = "This is a message from Yokote City.";
}

/// <summary>Configuration section <c>Channels:Sms</c>: short alerts by SMS with a link to the full text (Twilio Programmable Messaging).</summary>
public sealed class SmsChannelOptions : TwilioAccountOptions
{
    /// <summary>The sender: a Twilio number or alphanumeric sender id. This or <see cref="MessagingServiceSid"/> is required.</summary>
    public string? From { get; set; }

    /// <summary>A Messaging Service (<c>MG</c> + 32 hex digits) instead of <see cref="From"/>. Default none.</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>Messages started per second (Twilio queues beyond the sender's rate). Default 10.</summary>
    public double MessagesPerSecond { get; set; } = 10;

    /// <summary>Most segments one alert may take (UCS-2: 70 characters in one, 67 per part). Default 2 = 134 characters.</summary>
    public int MaxSegments { get; set; } = 2;

    /// <summary>How long Twilio may keep trying to deliver, in seconds (1–36000). Default 3600: an alert an hour late is still
    /// worth having, a day late is not.</summary>
    public int ValidityPeriodSeconds { get; set; } = 3600;
}
