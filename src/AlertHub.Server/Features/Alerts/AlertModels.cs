using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Targeting;

namespace AlertHub.Server.Features.Alerts;

public enum AlertStatus { Actual, Exercise, Test }

public enum MsgType { Alert, Update, Cancel }

public enum Severity { Unknown, Minor, Moderate, Severe, Extreme }

public enum Urgency { Unknown, Past, Future, Expected, Immediate }

public enum Certainty { Unknown, Unlikely, Possible, Likely, Observed }

internal sealed record AlertText(string? Headline, string? Body, string? Instruction);

/// <summary>
/// Try channels one after another per resident (e.g. line → fcm → email), <see cref="StepMinutes"/> apart, and stop
/// at the resident's acknowledgement (POST /api/alerts/{id}/ack). Only the listed channels are used.
/// </summary>
internal sealed record EscalationPolicy(string[]? Channels, double? StepMinutes);

/// <summary>POST /api/alerts: CAP-shaped fields plus targeting.</summary>
internal sealed record AlertRequest(
    AlertStatus? Status,
    MsgType? MsgType,
    string? Event,
    Severity? Severity,
    Urgency? Urgency,
    Certainty? Certainty,
    AreaSpec? Area,
    AudienceSpec? Audience,
    string[]? Channels,
    Dictionary<string, AlertText>? Texts,
    string[]? LanguageFallback,
    DateTimeOffset? Expires,
    bool? IncludeCurrentLocations,
    EscalationPolicy? Escalation = null,
    string? SourceEventId = null,
    AlertImageRequest? Image = null);

/// <summary>POST /api/alerts/{id}/update: any field given replaces the current version's.</summary>
internal sealed record AlertUpdateRequest(
    string? Event,
    Severity? Severity,
    Urgency? Urgency,
    Certainty? Certainty,
    AreaSpec? Area,
    AudienceSpec? Audience,
    string[]? Channels,
    Dictionary<string, AlertText>? Texts,
    DateTimeOffset? Expires)
{
    /// <summary>The feed event behind this update, when a rule made it.</summary>
    public string? SourceEventId { get; init; }

    /// <summary>A new picture for this version; without it the current version's picture stays.</summary>
    public AlertImageRequest? Image { get; init; }
}

/// <summary>POST /api/alerts/{id}/cancel.</summary>
internal sealed record AlertCancelRequest(Dictionary<string, AlertText>? Texts);

/// <summary>One immutable version of an alert, stored as JSON; what every channel renders from.</summary>
internal sealed record AlertDocument(
    string Id,
    int Version,
    string Identifier,
    string Sender,
    DateTimeOffset Sent,
    AlertStatus Status,
    MsgType MsgType,
    string Event,
    Severity Severity,
    Urgency Urgency,
    Certainty Certainty,
    AreaSpec Area,
    string AreaName,
    AudienceSpec? Audience,
    string[]? Channels,
    Dictionary<string, AlertText> Texts,
    string[] LanguageFallback,
    DateTimeOffset? Expires,
    string[] References,
    bool IncludeCurrentLocations,
    int Priority,
    EscalationPolicy? Escalation = null,
    string? SourceEventId = null,
    bool AllClear = false,
    AlertImage? Image = null)
{
    /// <summary>CAP 1.2 time as the hub writes it (JST, no fractional seconds): the form of <c>sent</c> and of each <c>references</c> entry.</summary>
    public static string CapTime(DateTimeOffset time) =>
        time.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Higher first: severity dominates, urgency breaks ties.</summary>
    public static int PriorityOf(Severity severity, Urgency urgency) => ((int)severity * 10) + (int)urgency;
}

internal sealed record IssuedAlert(string Id, int Version, string MsgType, string State, int Recipients, IReadOnlyDictionary<string, int> ByChannel, IReadOnlyList<string> Warnings)
{
    /// <summary>Where issuing spent its time: the targeting query and the transaction that wrote the version and its outbox.</summary>
    public IssueTimings? Timings { get; init; }
}

internal sealed record IssueTimings(double TargetingMs, double OutboxWriteMs);

internal sealed record ChannelDeliverySummary(
    long Queued, long Delivered, long Failed, long Gone, long Expired, long Superseded, long Acknowledged,
    DateTimeOffset? FirstDelivery, DateTimeOffset? LastDelivery, double? P50Ms, double? P95Ms);

internal sealed record VersionSummary(int Version, string MsgType, DateTimeOffset IssuedAt, DateTimeOffset? Expires, int Recipients)
{
    /// <summary>This version's outbox rows, all channels together, then per channel.</summary>
    public VersionDelivery? Delivery { get; init; }

    /// <summary>When its last recipient was queued (a large fan-out is queued in parts after the answer); null while still queueing.</summary>
    public DateTimeOffset? QueuedInFullAt { get; init; }

    public IReadOnlyDictionary<string, VersionDelivery>? DeliveryByChannel { get; init; }
}

/// <summary>
/// One version's (resident, channel) rows by where they stand. They always add up:
/// <c>Targeted = Delivered + Pending + Failed + Superseded</c>.
/// </summary>
/// <param name="Targeted">Rows written for this version.</param>
/// <param name="Delivered">Accepted by the provider or device.</param>
/// <param name="Pending">Still to send or retry, <paramref name="Sending"/> of them being sent right now.</param>
/// <param name="Failed">Given up: refused, address gone (<paramref name="Gone"/>) or expired before delivery (<paramref name="Expired"/>).</param>
/// <param name="Superseded">Not sent and not needed: a newer version reached them instead, the earlier version never reached
/// them (a retraction), or they acknowledged on another channel first (<paramref name="Acknowledged"/>).</param>
internal sealed record VersionDelivery(long Targeted, long Delivered, long Pending, long Sending, long Failed, long Gone, long Expired, long Superseded,
    long Acknowledged);

internal sealed record AlertView(
    string Id,
    string State,
    int Version,
    AlertDocument Current,
    IReadOnlyList<VersionSummary> Versions,
    AlertDeliveryView Delivery,
    AlertTimings? DeliveryTimings = null,
    string? ImageUrl = null);

internal sealed record AlertDeliveryView(IReadOnlyDictionary<string, ChannelDeliverySummary> ByChannel, ChannelDeliverySummary Total, long Acks);

internal sealed record AckRequest(Guid? ResidentId, string? Via);

/// <summary>An alert waiting for a second person's approval (from a feed rule in draft mode, or staff).</summary>
internal sealed record AlertDraft(string Id, AlertRequest Request, string? SourceEventId, string? Rule, string State, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? DecidedAt, string? DecidedBy, string? Reason, string? AlertId)
{
    /// <summary>Set for an update waiting for approval: the alert it updates (the request holds the changed fields only).</summary>
    public string? UpdatesAlertId { get; init; }
}

internal sealed record DraftDecision(string? Reason);

internal sealed record AckResult(string AlertId, Guid ResidentId, int StoppedDeliveries);
