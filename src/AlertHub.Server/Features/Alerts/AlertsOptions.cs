namespace AlertHub.Server.Features.Alerts;

/// <summary>Configuration section <c>Alerts</c>.</summary>
public sealed class AlertsOptions
{
    /// <summary>CAP sender of every alert. Default <c>alerthub@yokote.invalid</c>; set it to the city's address.</summary>
    public string Sender { get; set; } = "alerthub@yokote.invalid";

    /// <summary>Language order used when the resident's language has no text. Default ja, ja-x-easy, en.</summary>
    public List<string> LanguageFallback { get; set; } = ["ja", "ja-x-easy", "en"];

    /// <summary>Longest headline accepted. Default 200 characters.</summary>
    public int MaxHeadlineLength { get; set; } = 200;

    /// <summary>Longest body or instruction accepted. Default 4000 characters.</summary>
    public int MaxBodyLength { get; set; } = 4000;
}
