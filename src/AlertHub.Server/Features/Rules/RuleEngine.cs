using System.Globalization;
using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Features.Rules.Templates;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Rules;

/// <summary>
/// Turns the newest event of a series into alert actions, notifying on transitions only: a new or higher
/// warning in a rule's municipalities issues or updates an alert; an unchanged state (継続) sends nothing;
/// everything lifted sends an all-clear to those who were notified; 取消 cancels only what was delivered.
/// Exercise and Test events never reach residents as real alerts.
/// </summary>
internal sealed class RuleEngine(RuleStore rules, AlertService alerts, AlertDrafts drafts, AreaStore areas, AreaCodeTable codes, PlaceNames places,
    IOptions<FeedsOptions> feedsOptions, IOptions<AlertsOptions> alertsOptions, TimeProvider time) : IFeedEventRules
{
    private static readonly string[] Intensities = ["1", "2", "3", "4", "5-", "5+", "6-", "6+", "7"];

    public static int IntensityRank(string? intensity) =>
        intensity is null ? -1 : Array.IndexOf(Intensities, intensity.Trim().TrimEnd('?'));

    public async Task<(string Outcome, string? AlertId)> ApplyAsync(HazardEvent e, string eventId, Dictionary<string, RuleSeriesState> state,
        CancellationToken cancellationToken)
    {
        if (!e.Interpreted)
        {
            return ("not interpreted: stored for staff", null);
        }

        var matching = (await rules.GetAsync(cancellationToken)).Where(r => r.Families.Any(f => Matches(f, e))).ToList();
        if (matching.Count == 0)
        {
            return ($"no rule for {e.Family}", null);
        }

        var outcomes = new List<string>();
        string? alertId = null;
        foreach (var rule in matching)
        {
            var (outcome, id) = await ApplyRuleAsync(rule, e, eventId, state, cancellationToken);
            outcomes.Add($"{rule.Name}: {outcome}");
            alertId ??= id;
        }

        return (string.Join("; ", outcomes), alertId);
    }

    /// <summary>
    /// A rule's family entry: the family itself (<c>JMA:VXSE53</c>, <c>CAP</c>), <c>category:&lt;name&gt;</c> (the hub's
    /// category, or any CAP category of any info block: <c>category:Geo</c>), or <c>eventCode:&lt;value&gt;</c> /
    /// <c>eventCode:&lt;valueName&gt;=&lt;value&gt;</c> (a CAP eventCode, e.g. <c>eventCode:SAME=EQW</c>).
    /// </summary>
    internal static bool Matches(string family, HazardEvent e)
    {
        if (family == e.Family)
        {
            return true;
        }

        if (family.StartsWith("category:", StringComparison.Ordinal))
        {
            var category = family["category:".Length..];
            return string.Equals(category, e.Category, StringComparison.OrdinalIgnoreCase)
                || (e.CapInfos?.Any(i => i.Categories.Contains(category, StringComparer.OrdinalIgnoreCase)) ?? false);
        }

        if (family.StartsWith("eventCode:", StringComparison.Ordinal) && e.CapInfos is { } infos)
        {
            var wanted = family["eventCode:".Length..];
            var equals = wanted.IndexOf('=', StringComparison.Ordinal);
            return infos.SelectMany(i => i.EventCodes).Any(c => equals < 0
                ? c.Value == wanted
                : c.ValueName == wanted[..equals] && c.Value == wanted[(equals + 1)..]);
        }

        return false;
    }

    private async Task<(string Outcome, string? AlertId)> ApplyRuleAsync(RuleDefinition rule, HazardEvent e, string eventId,
        Dictionary<string, RuleSeriesState> state, CancellationToken cancellationToken)
    {
        var actor = "rule:" + rule.Name;
        var previous = state.GetValueOrDefault(rule.Name) ?? new RuleSeriesState(null, 0, [], false, false);
        if (previous.AlertId is null && previous.DraftId is { } draftId
            && await drafts.GetAsync(draftId, cancellationToken) is { State: "approved", AlertId: { } approved })
        {
            // The series' draft was approved since: its alert is what later telegrams update, cancel or end.
            previous = previous with { AlertId = approved };
        }

        var live = previous.AlertId is not null && !previous.Ended && !previous.Cancelled;
        if (e.Operational != Operational.Real && rule.ExerciseAudience is null)
        {
            return ($"{e.Operational}: not sent to residents", null);
        }

        if (e.Lifecycle == EventLifecycle.Cancel)
        {
            if (!live)
            {
                return ("取消 of a series nobody was told about: nothing sent", null);
            }

            var cancelled = await alerts.CancelAsync(previous.AlertId!, null, actor, cancellationToken);
            state[rule.Name] = previous with { Cancelled = true };
            return ($"cancellation sent to the {cancelled?.Recipients ?? 0} residents who were notified", previous.AlertId);
        }

        // An all-clear ends the series whatever its areas still say (a CAP AllClear may repeat the original severity).
        var inEffect = e.Lifecycle == EventLifecycle.AllClear ? [] : e.Areas.Where(a => Counts(rule, e, a)).ToList();
        var level = inEffect.Count == 0 ? 0 : inEffect.Max(a => (int)a.Severity);
        var municipalities = inEffect.SelectMany(a => MunicipalitiesOf(e, a))
            .Where(m => rule.Municipalities is not { Length: > 0 } wanted || wanted.Contains(m))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        if (level == 0)
        {
            if (!live)
            {
                return ("nothing in effect in the rule's areas", null);
            }

            // Only a real lifting ends an alert; a hypocentre-only report (VXSE52) or a later quake report with
            // smaller figures is not an all-clear.
            if (e.Lifecycle != EventLifecycle.AllClear && !e.Areas.Any(a => a.Status == "解除"))
            {
                return ("no longer above the rule's threshold, but nothing was lifted: no message", previous.AlertId);
            }

            var cleared = await alerts.AllClearAsync(previous.AlertId!, AllClearTexts(rule, e), eventId, actor, cancellationToken);
            state[rule.Name] = previous with { Ended = true, Level = 0 };
            return ($"all-clear sent to the {cleared?.Recipients ?? 0} residents who were notified", previous.AlertId);
        }

        // A telegram whose own validity has passed (a 竜巻注意情報 polled late, a stale CAP) warns nobody.
        var now = time.GetUtcNow();
        if (e.ValidUntil is { } validUntil && validUntil <= now)
        {
            return ($"expired ({validUntil.ToUniversalTime():O}) before it could be sent: no message", live ? previous.AlertId : null);
        }

        var area = AreaFor(rule, municipalities);
        if (area is null)
        {
            return ($"no hub area registered for {string.Join(", ", municipalities)}: import the boundary with its code", null);
        }

        var request = Request(rule, e, inEffect, area, eventId, Expires(rule, e, now));
        if (!live)
        {
            if (rule.Mode == "draft")
            {
                var draft = await drafts.CreateAsync(request, eventId, rule.Name, actor, cancellationToken);
                state[rule.Name] = new RuleSeriesState(null, level, municipalities, false, false, draft.Id);
                return ($"draft {draft.Id} waits for approval", null);
            }

            var issued = await alerts.IssueAsync(request, actor, cancellationToken);
            state[rule.Name] = new RuleSeriesState(issued.Id, level, municipalities, false, false);
            return ($"alert issued to {issued.Recipients} residents", issued.Id);
        }

        if (level > previous.Level || municipalities.Except(previous.Municipalities).Any())
        {
            if (rule.Mode == "draft")
            {
                // A rule that issues through a second person raises through one too: an update draft of the same alert.
                var draft = await drafts.CreateAsync(request with { MsgType = MsgType.Update }, eventId, rule.Name, actor, cancellationToken,
                    updatesAlertId: previous.AlertId);
                state[rule.Name] = previous with { Level = level, Municipalities = [.. previous.Municipalities.Union(municipalities).Order(StringComparer.Ordinal)] };
                return ($"raised: update draft {draft.Id} waits for approval", previous.AlertId);
            }

            var updated = await alerts.UpdateFromEventAsync(previous.AlertId!, request, actor, cancellationToken);
            state[rule.Name] = previous with { Level = level, Municipalities = [.. previous.Municipalities.Union(municipalities).Order(StringComparer.Ordinal)] };
            return ($"raised: update sent to {updated?.Recipients ?? 0} residents", previous.AlertId);
        }

        return ("unchanged (継続): no message", previous.AlertId);
    }

    /// <summary>
    /// The municipalities an area speaks for. A 3-digit 地震情報／細分区域 speaks for its strongest place, so its
    /// intensity counts for a municipality only when the telegram has no city-level intensity: VXSE51 (regions
    /// only) reaches the city through the code table, VXSE53 (cities) never does. A city that a VXSE53 leaves out
    /// while listing its region had nothing of 震度1 or more reported: "not observed", not its region's figure.
    /// (JMA lists a city it expects at 5弱 or more but has not heard from as 震度５弱以上未入電, which counts as 5弱.)
    /// </summary>
    private IReadOnlyList<string> MunicipalitiesOf(HazardEvent e, EventArea a) =>
        a.Scheme == "jma-seismic" && EventAreas.HasCityIntensities(e) ? [] : codes.MunicipalitiesOf(a.Scheme, a.Code, a.Municipality);

    private bool Counts(RuleDefinition rule, HazardEvent e, EventArea a)
    {
        if (a.Status is "解除" or "なし" || a.Status?.Contains("はなし", StringComparison.Ordinal) == true)
        {
            return false;
        }

        if (a.Scheme == "jma-seismic" && EventAreas.HasCityIntensities(e))
        {
            return false;
        }

        if (rule.Municipalities is { Length: > 0 } wanted && !MunicipalitiesOf(e, a).Any(wanted.Contains))
        {
            return false;
        }

        if (rule.MinIntensity is not null)
        {
            return IntensityRank(a.MaxIntensity) >= IntensityRank(rule.MinIntensity);
        }

        return a.Severity >= rule.MinSeverity;
    }

    private AreaSpec? AreaFor(RuleDefinition rule, string[] municipalities)
    {
        string[] ids = rule.AreaMode switch
        {
            "areas" => rule.AreaIds ?? [],
            "kinds" => [.. areas.All.Where(a => rule.AreaKinds!.Contains(a.Kind)).Select(a => a.Id)],
            _ => [.. municipalities.SelectMany(areas.FindByCode).Select(a => a.Id).Distinct()],
        };
        return ids.Length == 0 ? null : new AreaSpec(ids, null, null, null);
    }

    /// <summary>
    /// When a rule-issued alert stops being current: the sender's own validity when it gives one (CAP expires, JMA
    /// ValidDateTime of 竜巻注意情報, L-Alert ValidDateTime), else the rule's <c>expiresAfter</c>, else the family's
    /// <see cref="FeedsOptions.ExpiresAfter"/> (6 h for a quake), counted from now.
    /// </summary>
    private DateTimeOffset Expires(RuleDefinition rule, HazardEvent e, DateTimeOffset now)
    {
        if (e.ValidUntil is { } validUntil)
        {
            return validUntil;
        }

        var lifetimes = feedsOptions.Value.ExpiresAfter;
        var lifetime = rule.ExpiresAfter
            ?? (lifetimes.TryGetValue(ResidentTemplates.FamilyOf(e), out var family) ? family
                : lifetimes.TryGetValue("default", out var fallback) ? fallback : TimeSpan.FromHours(24));
        return now + lifetime;
    }

    private AlertRequest Request(RuleDefinition rule, HazardEvent e, IReadOnlyList<EventArea> inEffect, AreaSpec area, string eventId, DateTimeOffset expires)
    {
        var exercise = e.Operational != Operational.Real;
        var severity = inEffect.Max(a => a.Severity) switch
        {
            EventSeverity.Extreme => Severity.Extreme,
            EventSeverity.Severe => Severity.Severe,
            EventSeverity.Moderate => Severity.Moderate,
            EventSeverity.Minor => Severity.Minor,
            _ => Severity.Unknown,
        };
        var family = ResidentTemplates.FamilyOf(e);
        var templates = rule.Templates is { Count: > 0 } own ? own : ResidentTemplates.For(family);
        var values = TemplateValues.Build(e, inEffect, places);
        return new AlertRequest(
            exercise ? (e.Operational == Operational.Exercise ? AlertStatus.Exercise : AlertStatus.Test) : AlertStatus.Actual,
            MsgType.Alert, rule.Event ?? ResidentTemplates.EventOf(family), severity, Urgency.Immediate,
            e.Category.StartsWith("earthquake", StringComparison.Ordinal) ? Certainty.Observed : Certainty.Likely,
            area, exercise ? rule.ExerciseAudience : rule.Audience, rule.Channels,
            templates.ToDictionary(kv => kv.Key, kv => Fill(kv.Value, values)), null, expires, rule.IncludeCurrentLocations,
            SourceEventId: eventId);
    }

    /// <summary>The rule's own all-clear texts, or null so the alert service words it from what residents received
    /// (one wording for the board's 解除 button and the feed).</summary>
    private Dictionary<string, AlertText>? AllClearTexts(RuleDefinition rule, HazardEvent e) =>
        rule.AllClearTemplates is { Count: > 0 } templates
            ? templates.ToDictionary(kv => kv.Key, kv => Fill(kv.Value, TemplateValues.Build(e, e.Areas, places)))
            : null;

    /// <summary>Fills a template and keeps it within what the alert service accepts; an empty part is left out.</summary>
    private AlertText Fill(AlertText template, IReadOnlyDictionary<string, string> values)
    {
        var o = alertsOptions.Value;
        string? Part(string? text, int max) => TemplateValues.Apply(text, values) is { Length: > 0 } filled
            ? filled.Length <= max ? filled : string.Concat(filled.AsSpan(0, max - 1), "…")
            : null;
        return new AlertText(Part(template.Headline, o.MaxHeadlineLength), Part(template.Body, o.MaxBodyLength), Part(template.Instruction, o.MaxBodyLength));
    }
}
