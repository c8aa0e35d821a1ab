using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Targeting;

namespace AlertHub.Server.Features.Rules;

/// <summary>
/// Maps feed events to alerts. Configured under <c>Feeds:Rules</c> (a JSON array) and editable through
/// <c>GET/PUT /api/rules</c>. Every property has a default so a rule can be short.
/// </summary>
/// <param name="Name">Unique name; the alert's actor is <c>rule:&lt;Name&gt;</c>.</param>
/// <param name="Families">Event families (<c>JMA:VXSE53</c>, <c>CAP</c>), categories (<c>category:landslide</c>, or a CAP category such as
/// <c>category:Geo</c>) or CAP eventCodes (<c>eventCode:EQW</c>, <c>eventCode:SAME=EQW</c>) this rule handles.</param>
/// <param name="MinSeverity">Areas below this severity do not count. Default Moderate.</param>
/// <param name="MinIntensity">Earthquakes: areas below this seismic intensity (1 2 3 4 5- 5+ 6- 6+ 7) do not count. Default none.</param>
/// <param name="Municipalities">5-digit JIS codes the city cares about (e.g. 05203); empty means any.</param>
/// <param name="AreaMode"><c>codes</c> (default): the hub areas registered with each affected municipality's code;
/// <c>areas</c>: <paramref name="AreaIds"/>; <c>kinds</c>: every hub area of <paramref name="AreaKinds"/> (e.g. landslide zones).</param>
/// <param name="Mode"><c>auto</c> issues at once (default); <c>draft</c> waits for an approver.</param>
/// <param name="Event">The alert's event name. Default: the family's (地震, 津波, 気象警報, 土砂災害, 洪水, 大雨, 竜巻, 避難情報), else 防災情報.</param>
/// <param name="Templates">Texts per language (ja, ja-x-easy, en …) with the placeholders of <see cref="Templates.TemplateValues"/>
/// ({area} {intensity} {quake} {tsunami} {advice} … each also as {name_easy} and {name_en}). Default: the texts the hub ships
/// for the event's family (<see cref="Templates.ResidentTemplates"/>) in 日本語, やさしい日本語 and English.</param>
/// <param name="ExpiresAfter">How long an alert this rule issues stays current when the feed gives no validity. Default:
/// <c>Feeds:ExpiresAfter</c> for the family (6 h for a quake).</param>
/// <param name="AllClearTemplates">Texts of the all-clear; default: the alert's own headline marked 解除, in each language it was sent in (as the board's 解除 button words it).</param>
/// <param name="ExerciseAudience">When set, Exercise/Test events go out as drills to this audience only; otherwise they never reach residents.</param>
internal sealed record RuleDefinition(
    string Name,
    string[] Families,
    Dictionary<string, AlertText>? Templates = null,
    EventSeverity MinSeverity = EventSeverity.Moderate,
    string? MinIntensity = null,
    string[]? Municipalities = null,
    string AreaMode = "codes",
    string[]? AreaIds = null,
    string[]? AreaKinds = null,
    AudienceSpec? Audience = null,
    string[]? Channels = null,
    bool IncludeCurrentLocations = true,
    string Mode = "auto",
    string? Event = null,
    Dictionary<string, AlertText>? AllClearTemplates = null,
    AudienceSpec? ExerciseAudience = null,
    TimeSpan? ExpiresAfter = null);
