using AlertHub.Core.Storage;
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

internal sealed record AlertView(
    string Id,
    string State,
    int Version,
    AlertDocument Current,
    IReadOnlyList<VersionSummary> Versions,
    AlertDeliveryView Delivery,
    AlertTimings? DeliveryTimings = null,
    string? ImageUrl = null)
{
    /// <summary>Who wrote the alert and who approved it.</summary>
    public AlertProvenance? Provenance { get; init; }

    /// <summary>安否 replies to this alert: each resident's latest.</summary>
    public SafetyCounts? Safety { get; init; }
}

/// <param name="Author">Who wrote it: the draft's author, or whoever issued it directly (a staff member, an API key, <c>rule:&lt;name&gt;</c>).</param>
/// <param name="Approver">The second person who approved the draft; null when it was issued directly.</param>
/// <param name="BypassReason">Set when an approver issued it alone under the two-person rule (the emergency bypass).</param>
internal sealed record AlertProvenance(string Author, string? Approver, string? BypassReason);

internal sealed record SafetyCounts(long Safe, long NeedHelp);

/// <summary>One row of GET /api/alerts: enough to read the list at a glance without opening each alert.</summary>
/// <param name="State">issued, cancelled or ended as stored; <paramref name="Expired"/> says an issued alert's expiry has passed.</param>
internal sealed record AlertListItem(
    string Id, int Version, string State, bool Expired, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string Status, string MsgType, bool AllClear,
    string Event, string Severity, string? Headline, string AreaName, DateTimeOffset? Expires, int Recipients, string Author, string? Approver, bool Bypass,
    long Acks, SafetyCounts Safety);

/// <summary>GET /api/alerts filters; every one optional.</summary>
/// <param name="Q">Words in any version's headline, body or instruction (any language), the event or the area name.</param>
/// <param name="State">issued, cancelled, ended, expired, or active (issued and not expired).</param>
internal sealed record AlertListFilter(string? Q, AlertStatus? Status, string? State, DateTimeOffset? From, DateTimeOffset? To, DateTimeOffset? Before, int Limit);

/// <summary>
/// POST /api/alerts/render-preview: what a send would put in front of residents, rendered per channel and language by the
/// same code the channels use. <paramref name="Kind"/> alert (with <paramref name="Alert"/>, the body of POST /api/alerts),
/// update (with <paramref name="AlertId"/> and <paramref name="Update"/>), cancel or allClear (with <paramref name="AlertId"/> and
/// optional <paramref name="Texts"/>).
/// </summary>
internal sealed record RenderPreviewRequest(string? Kind, string? AlertId, AlertRequest? Alert, AlertUpdateRequest? Update, Dictionary<string, AlertText>? Texts);

/// <param name="Truncated">The channel's length limits cut this text: residents read it shortened.</param>
internal sealed record RenderedText(string Language, string Headline, string Body, string? Instruction, bool Truncated);

/// <param name="Publishes">False for a broadcast channel (social media, loudspeakers) that does not post this version, e.g. a drill.</param>
internal sealed record ChannelRendering(string Channel, int MaxTitleLength, int MaxBodyLength, bool Broadcast, bool Publishes, IReadOnlyList<RenderedText> Texts);

/// <summary>A marker the hub adds itself (【訓練】, これは訓練です。, 【更新】 …) typed into a text: residents would read it once, the hub strips the copy.</summary>
internal sealed record TextWarning(string Code, string Language, string Field, string Marker);

/// <summary>
/// Who the send would reach. <paramref name="Rule"/>: <c>targeted</c> (a new alert: the area × audience now),
/// <c>targetedAndPrevious</c> (an update: those plus everyone earlier versions went to, <paramref name="Previous"/> per channel),
/// <c>previouslyReached</c> (a cancel or all-clear: only the (resident, channel) pairs earlier versions reached, <paramref name="Previous"/>).
/// <paramref name="Recipients"/> is the people it would reach in all; <paramref name="Targeted"/> those the area × audience finds now.
/// </summary>
internal sealed record PreviewReach(string Rule, int? Recipients, int? Targeted, int? Unreachable, IReadOnlyDictionary<string, int>? ByChannel,
    IReadOnlyDictionary<string, Targeting.AreaCount>? ByArea, IReadOnlyDictionary<string, long>? Previous);

/// <param name="NeedsApproval">An update only: what in it needs a second person under the two-person rule (empty: nothing).</param>
internal sealed record RenderPreview(
    string Kind, string Status, string MsgType, bool AllClear, string Event, string Severity, string Urgency, string Certainty, AreaSpec? Area, string AreaName,
    AudienceSpec? Audience, IReadOnlyList<string> Channels, IReadOnlyList<string> Languages, IReadOnlyList<ChannelRendering> Renderings,
    IReadOnlyList<TextWarning> Warnings, PreviewReach Reach, IReadOnlyList<string>? NeedsApproval);

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
