using NetTopologySuite.Geometries;

namespace AlertHub.Core.Feeds;

/// <summary>Where an event came from.</summary>
public enum FeedSource { Jma, LAlert, Cap }

/// <summary>What this document does to its series.</summary>
public enum EventLifecycle
{
    /// <summary>First report of a series (JMA 発表 with nothing before, L-Alert Report, CAP Alert).</summary>
    New,
    /// <summary>A later report of the same series (JMA 発表 again, L-Alert Update, CAP Update).</summary>
    Update,
    /// <summary>Replaces an earlier report that was wrong (JMA 訂正, L-Alert Errata).</summary>
    Correction,
    /// <summary>Retracts the series (JMA 取消, L-Alert/CAP Cancel).</summary>
    Cancel,
    /// <summary>Everything in the series is lifted (JMA 全解除, 津波警報解除, L-Alert 解除 of every area, CAP AllClear).</summary>
    AllClear,
}

/// <summary>Real, drill or system test. Only Real may ever reach residents as a real alert.</summary>
public enum Operational { Real, Exercise, Test }

/// <summary>Hub severity 0–4 (reference/feeds.md §4).</summary>
public enum EventSeverity { Info = 0, Minor = 1, Moderate = 2, Severe = 3, Extreme = 4 }

/// <summary>
/// One area an event speaks about, with its own state. <see cref="Scheme"/> names the code table:
/// <c>jma-city</c> (7-digit 市町村等), <c>jma-forecast</c> (6-digit 府県予報区・細分区域), <c>jma-seismic</c> (3-digit 地震情報／細分区域),
/// <c>jma-tsunami</c> (3-digit 津波予報区), <c>jma-river</c> (12-digit 予報区域), <c>jma-pref</c> (2-digit), <c>jis6</c> (L-Alert, with check digit),
/// <c>jis5</c>, <c>town</c> (L-Alert 大字・町丁目 code), <c>cap:&lt;valueName&gt;</c> (CAP geocode), <c>name</c> (no code).
/// </summary>
/// <param name="Municipality">The 5-digit JIS municipality code when the code names one municipality (or part of one).</param>
/// <param name="Status">Per-area status as written (発表, 継続, 解除, なし, 特別警報から警報, 発令 …), or null.</param>
/// <param name="Kinds">What is in effect there, as written (大雨警報, 土砂災害警戒情報, 震度５弱 → "5-", 津波警報, 避難指示 …).</param>
/// <param name="AlertLevel">警戒レベル (1–5) where the product states it.</param>
/// <param name="MaxIntensity">Earthquakes: the area's maximum seismic intensity string (1 2 3 4 5- 5+ 6- 6+ 7), trimmed; "5-?" when 震度５弱以上未入電.</param>
public sealed record EventArea(
    string Scheme,
    string Code,
    string? Municipality,
    string? Name,
    string? Status,
    IReadOnlyList<string> Kinds,
    EventSeverity Severity,
    int? AlertLevel = null,
    string? MaxIntensity = null);

/// <summary>A shape the document gives directly (CAP polygon/circle, L-Alert circle). Exactly one of polygon or circle is set.</summary>
public sealed record EventShape(Geometry? Polygon, double? Lat, double? Lon, double? RadiusMeters);

/// <summary>Text in one language.</summary>
public sealed record EventText(string Headline, string? Body, string? Instruction);

/// <summary>Earthquake facts when the document has them.</summary>
/// <param name="Magnitude">null when NaN / 不明.</param>
/// <param name="DepthKm">null when unknown (深さ不明).</param>
public sealed record EarthquakeInfo(DateTimeOffset? OriginTime, string? Hypocenter, double? Lat, double? Lon, double? DepthKm, double? Magnitude,
    string? MagnitudeText, string? MaxIntensity);

/// <summary>
/// The canonical hazard event every feed document becomes. Documents of types the hub does not interpret are
/// still events (<see cref="Interpreted"/> false) so they are stored and shown, never silently dropped.
/// </summary>
/// <param name="Family">Routing family, e.g. <c>JMA:VPWW53</c>, <c>JMA:VXSE53</c>, <c>LALERT:EvacuationOrder</c>, <c>CAP</c>.</param>
/// <param name="TypeCode">JMA data type (VPWW53, VXSE53 …) when known, L-Alert category, or "CAP".</param>
/// <param name="SeriesKey">Identity of the series (JMA: Control/Title + EditorialOffice + Status [+ EventID]; L-Alert: documentID; CAP: sender + first identifier of the references chain).</param>
/// <param name="Revision">Orders documents within a series: newer compares greater (ordinal string compare).</param>
/// <param name="Category">weather-warning, landslide, flood, heavy-rain, tornado, earthquake-intensity, earthquake-hypocenter, earthquake, tsunami, evacuation, shelter, cap, other.</param>
/// <param name="Severity">The highest area severity (or the document's).</param>
/// <param name="Texts">Per language ("ja", "en" …); the main language first.</param>
/// <param name="SourceReference">documentID / CAP identifier / JMA data type + time: what staff search for.</param>
/// <param name="References">CAP references (sender,identifier,sent) or L-Alert previous revision ids.</param>
public sealed record HazardEvent(
    FeedSource Source,
    string Family,
    string TypeCode,
    bool Interpreted,
    string SeriesKey,
    string Revision,
    EventLifecycle Lifecycle,
    Operational Operational,
    string Category,
    EventSeverity Severity,
    int? AlertLevel,
    IReadOnlyList<EventArea> Areas,
    IReadOnlyList<EventShape> Shapes,
    IReadOnlyDictionary<string, EventText> Texts,
    DateTimeOffset IssuedAt,
    DateTimeOffset? ValidUntil,
    string? SourceReference,
    IReadOnlyList<string> References,
    EarthquakeInfo? Earthquake = null)
{
    /// <summary>The main text (Japanese when present).</summary>
    public EventText MainText => Texts.TryGetValue("ja", out var ja) ? ja : Texts.Values.First();
}
