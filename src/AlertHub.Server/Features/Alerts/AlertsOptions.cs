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

    /// <summary>
    /// Two-person rule for new alerts. Default true: a city alert reaches thousands of phones and cannot be taken
    /// back, so an issuer submits a draft (POST /api/alert-drafts) that a different approver issues. Approvers and
    /// admins may still issue directly as an emergency bypass, which is audited with its <c>bypassReason</c>
    /// (required for signed-in staff; API-key automation may omit it). Feed rules keep their own
    /// <c>mode</c> (auto or draft). Updates and cancels are not gated.
    /// </summary>
    public bool RequireApproval { get; set; } = true;
}
