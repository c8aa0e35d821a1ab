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

    /// <summary>A fan-out to more residents than this is queued in parts: the hub answers once the first part is queued and
    /// the rest follows while the first residents are already being sent to. Default 50,000.</summary>
    public int QueueInPartsAbove { get; set; } = 50_000;

    /// <summary>Residents queued with the version itself when queueing in parts. Default 20,000.</summary>
    public int FirstPart { get; set; } = 20_000;

    /// <summary>Residents per later part. Each part is one write; the workers' claims and outcomes get the store in
    /// between. Fewer, larger parts queue a million recipients in full in about 2.6 s while the hub sends (40 parts of
    /// 25,000 took 10 s, each waiting for the workers' writes). Default 100,000.</summary>
    public int PartSize { get; set; } = 100_000;

    /// <summary>Pause between later parts. Default 0: the workers write while the next part is being prepared. Raise it
    /// only if queueing a large fan-out visibly holds up sending on a slow disk.</summary>
    public TimeSpan PausePerPart { get; set; } = TimeSpan.Zero;

    /// <summary>Rehearse the issue path once at start, before /health is ready: a made-up exercise alert goes through
    /// targeting, the outbox write and rendering, and is rolled back (see <c>IssueRehearsal</c>). The first real alert
    /// after a start then does not pay for loading that path. Default true.</summary>
    public bool RehearseIssueAtStart { get; set; } = true;

    /// <summary>How often versions whose queueing stopped part way (a process died) are looked for and finished; also at start. Default 30 s.</summary>
    public TimeSpan UnfinishedQueueingCheck { get; set; } = TimeSpan.FromSeconds(30);
}
