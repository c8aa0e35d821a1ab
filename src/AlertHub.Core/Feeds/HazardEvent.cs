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
/// <param name="Tsunami">Tsunami telegrams: the expected heights and first arrival for this 津波予報区.</param>
public sealed record EventArea(
    string Scheme,
    string Code,
    string? Municipality,
    string? Name,
    string? Status,
    IReadOnlyList<string> Kinds,
    EventSeverity Severity,
    int? AlertLevel = null,
    string? MaxIntensity = null,
    TsunamiForecast? Tsunami = null);

/// <summary>A shape the document gives directly (CAP polygon/circle, L-Alert circle). Exactly one of polygon or circle is set.</summary>
public sealed record EventShape(Geometry? Polygon, double? Lat, double? Lon, double? RadiusMeters);

/// <summary>Text in one language.</summary>
public sealed record EventText(string Headline, string? Body, string? Instruction);

/// <summary>A CAP <c>valueName</c>/<c>value</c> pair (eventCode, parameter, geocode) as written.</summary>
public sealed record CapValue(string ValueName, string Value);

/// <summary>One CAP <c>area</c> of one info block: its areaDesc in that block's language, its geocodes, and which of the
/// event's <see cref="HazardEvent.Shapes"/> (by index) its polygons and circles are.</summary>
public sealed record CapArea(string? AreaDesc, IReadOnlyList<CapValue> Geocodes, IReadOnlyList<int> Shapes);

/// <summary>
/// One CAP <c>info</c> block as the sender wrote it, so rules and staff can use what the hub does not interpret:
/// categories (Geo, Met, Safety …), eventCodes, parameters (magnitude, depth …), the language tag as given
/// (<c>en-CA</c> stays <c>en-CA</c>; CAP's default <c>en-US</c> when absent) and each area's description.
/// </summary>
public sealed record CapInfo(
    string Language,
    IReadOnlyList<string> Categories,
    string? Event,
    IReadOnlyList<string> ResponseTypes,
    string? Urgency,
    string? Severity,
    string? Certainty,
    IReadOnlyList<CapValue> EventCodes,
    IReadOnlyList<CapValue> Parameters,
    IReadOnlyList<CapArea> Areas,
    string? SenderName);

/// <summary>A tsunami forecast for one 津波予報区 (VTSE41/51 Forecast/Item).</summary>
/// <param name="FirstArrival">FirstHeight/ArrivalTime: the expected time of the first wave.</param>
/// <param name="ArrivalCondition">FirstHeight/Condition instead of (or with) a time: 津波到達中と推測, ただちに津波来襲と予測, 第１波の到達を確認 …</param>
/// <param name="MaxHeightMeters">MaxHeight/TsunamiHeight in metres; null when NaN (巨大, 高い).</param>
/// <param name="MaxHeightText">Its description as JMA words it: １ｍ, ３ｍ, ０．２ｍ未満, 巨大, 高い.</param>
public sealed record TsunamiForecast(DateTimeOffset? FirstArrival, string? ArrivalCondition, double? MaxHeightMeters, string? MaxHeightText);

/// <summary>A code and name a JMA telegram names outside its targeting areas (VXKO rivers and prefectures).</summary>
public sealed record NamedCode(string Code, string Name);

/// <summary>JMA telegram facts that staff and rules need beyond the areas.</summary>
/// <param name="PublishingOffice">Control/PublishingOffice as written (may list several offices): who said so.</param>
/// <param name="EventId">Head/EventID as written (several ids for VTSE41; TC0910 for typhoons).</param>
/// <param name="Serial">Head/Serial, or null when empty.</param>
/// <param name="InfoKind">Head/InfoKind.</param>
/// <param name="Rivers">VXKO: the rivers (10-digit 河川 code and name) of 指定河川洪水予報（河川）.</param>
/// <param name="Prefectures">VXKO: 指定河川洪水予報（府県予報区等）, the 6-digit prefecture codes the forecast concerns.</param>
/// <param name="TornadoWitnessed">竜巻注意情報（目撃情報付き）: a tornado or similar gust was actually seen (【目撃情報あり】).</param>
public sealed record JmaDetails(
    string? PublishingOffice,
    string? EventId,
    string? Serial,
    string? InfoKind,
    IReadOnlyList<NamedCode> Rivers,
    IReadOnlyList<NamedCode> Prefectures,
    bool TornadoWitnessed);

/// <summary>Earthquake facts when the document has them.</summary>
/// <param name="Magnitude">null when NaN / 不明.</param>
/// <param name="DepthKm">null when unknown (深さ不明).</param>
/// <param name="HypocenterDetail">Hypocenter/Area/DetailedName of far-field quakes (遠地地震: パプアニューギニア、ニューブリテン), else null.</param>
/// <param name="TsunamiComment">Comments/ForecastComment as JMA wrote it (この地震による津波の心配はありません。…).</param>
/// <param name="TsunamiCommentCodes">Its 固定付加文 codes (0215, 0241 …), which say the same in any language.</param>
public sealed record EarthquakeInfo(DateTimeOffset? OriginTime, string? Hypocenter, double? Lat, double? Lon, double? DepthKm, double? Magnitude,
    string? MagnitudeText, string? MaxIntensity, string? HypocenterDetail = null, string? TsunamiComment = null,
    IReadOnlyList<string>? TsunamiCommentCodes = null);

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
    /// <summary>The main text (Japanese when present, whatever its region subtag).</summary>
    public EventText MainText => TextIn("ja") ?? Texts.Values.First();

    /// <summary>JMA Head/ReportDateTime (or L-Alert's), as written with its offset: the time the issuer puts on the
    /// report, kept apart from <see cref="IssuedAt"/> (Control/DateTime, when the telegram was sent).</summary>
    public DateTimeOffset? ReportedAt { get; init; }

    /// <summary>Who issued it, as written: JMA Control/PublishingOffice, the L-Alert publishing organisation, the CAP senderName.</summary>
    public string? Issuer { get; init; }

    /// <summary>JMA only: publishing office, EventID, rivers, 竜巻目撃 ….</summary>
    public JmaDetails? Jma { get; init; }

    /// <summary>CAP only: every info block as given.</summary>
    public IReadOnlyList<CapInfo>? CapInfos { get; init; }

    /// <summary>
    /// The text in a language: the exact tag, else one with the same primary language (<c>en</c> finds <c>en-CA</c>,
    /// <c>en-CA</c> finds <c>en</c>), else null.
    /// </summary>
    public EventText? TextIn(string language)
    {
        if (Texts.TryGetValue(language, out var exact))
        {
            return exact;
        }

        var primary = Primary(language);
        foreach (var (tag, text) in Texts)
        {
            if (string.Equals(Primary(tag), primary, StringComparison.OrdinalIgnoreCase))
            {
                return text;
            }
        }

        return null;

        static string Primary(string tag) => tag.Split('-', '_')[0];
    }
}
