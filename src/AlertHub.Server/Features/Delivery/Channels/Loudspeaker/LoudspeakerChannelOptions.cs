using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Loudspeaker;

/// <summary>Configuration section <c>Channels:Loudspeaker</c>: 防災行政無線 gateways that read the alert aloud.</summary>
public sealed class LoudspeakerChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Radio gateways receiving the script as a signed webhook. Default none.</summary>
    public List<LoudspeakerGatewayOptions> Gateways { get; set; } = [];

    /// <summary>How many times the message is read (「繰り返します」 between readings). Default 2.</summary>
    public int Repeat { get; set; } = 2;

    /// <summary>Opening words. Default 「こちらは、防災横手です。」.</summary>
    public string Opening { get; set; } = "こちらは、防災横手です。";

    /// <summary>Closing words. Default 「以上、防災横手でした。」.</summary>
    public string Closing { get; set; } = "以上、防災横手でした。";

    /// <summary>Also broadcast Exercise/Test alerts (announced as 訓練/試験). Default true: radio drills are read out too.</summary>
    public bool BroadcastExercises { get; set; } = true;

    /// <summary>Timeout of one request to a gateway. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>One gateway under <c>Channels:Loudspeaker:Gateways</c>.</summary>
public sealed class LoudspeakerGatewayOptions
{
    /// <summary>A unique name, e.g. <c>musen-yokote</c>. Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>The gateway's URL (must pass the outbound URL policy). Required.</summary>
    public string Url { get; set; } = "";

    /// <summary>Signing key for X-AlertHub-Signature (16+ characters). Required; never logged.</summary>
    public string Secret { get; set; } = "";
}

/// <summary>Checks <c>Channels:Loudspeaker</c> when the hub starts.</summary>
internal sealed class LoudspeakerChannelOptionsValidator : IValidateOptions<LoudspeakerChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, LoudspeakerChannelOptions options)
    {
        var failures = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (options.Gateways.Any(g => string.IsNullOrWhiteSpace(g.Name) || !names.Add(g.Name) || !Uri.TryCreate(g.Url, UriKind.Absolute, out _) || g.Secret.Length < 16))
        {
            failures.Add("Channels:Loudspeaker: every gateway needs a unique Name, an absolute Url and a Secret of 16+ characters");
        }

        if (options.Repeat is < 1 or > 5)
        {
            failures.Add("Channels:Loudspeaker: Repeat must be 1–5");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
