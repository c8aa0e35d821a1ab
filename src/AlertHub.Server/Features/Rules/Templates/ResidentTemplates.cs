using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Alerts;

namespace AlertHub.Server.Features.Rules.Templates;

/// <summary>
/// The resident-facing texts the hub ships per family, in 日本語, やさしい日本語 (<c>ja-x-easy</c>) and English. A rule
/// without <c>templates</c> uses them; a rule with its own templates can use the same placeholders
/// (<see cref="TemplateValues"/>). Each headline says what happened, where and who said so
/// (「横手市で震度5弱の地震がありました（気象庁）」, 「気象庁が横手市に大雨警報を発表しました」) — a warning is never
/// worded as if the city issued it; an evacuation order (L-Alert) is, because the city does issue it.
/// </summary>
internal static class ResidentTemplates
{
    /// <summary>The family of an event: its hub category, with the earthquake reports folded into one.</summary>
    public static string FamilyOf(HazardEvent e) => e.Source == FeedSource.Cap ? "cap" : e.Category switch
    {
        "earthquake" or "earthquake-intensity" or "earthquake-hypocenter" => "earthquake",
        var category => category,
    };

    /// <summary>The alert's event name for a family (what the board and CAP <c>event</c> show).</summary>
    public static string EventOf(string family) => family switch
    {
        "earthquake" => "地震",
        "tsunami" => "津波",
        "weather-warning" => "気象警報",
        "landslide" => "土砂災害",
        "flood" => "洪水",
        "heavy-rain" => "大雨",
        "tornado" => "竜巻",
        "evacuation" => "避難情報",
        _ => "防災情報",
    };

    public static Dictionary<string, AlertText> For(string family) => family switch
    {
        "earthquake" => Texts(
            new("{area}で{intensity}の地震がありました（{issuer}）", "{quake}{area_intensity}{tsunami}", "{advice}"),
            new("{area_easy}で {intensity_easy} の じしん が ありました（{issuer_easy}）", "{quake_easy}{area_intensity_easy}{tsunami_easy}", "{advice_easy}"),
            new("Earthquake in {area_en}, {intensity_en} — {issuer_en}", "{quake_en}{area_intensity_en}{tsunami_en}", "{advice_en}")),
        "tsunami" => Texts(
            new("{issuer}が{kinds}を発表しました（{area}）", "{reported}、{issuer}が{kinds}を発表しました。{tsunami_areas}{quake}", "{advice}"),
            new("{issuer_easy} が {kinds_easy} を だしました（{area_easy}）", "{tsunami_areas_easy}{quake_easy}", "{advice_easy}"),
            new("{kinds_en} for {area_en} — {issuer_en}", "At {reported_en}, the {issuer_en} issued {kinds_en}. {tsunami_areas_en}{quake_en}", "{advice_en}")),
        "weather-warning" => Texts(
            new("{issuer}が{area}に{kinds}を発表しました", "{reported}、{office}が{area}に{kinds}を発表しました。{level_text}", "{advice}"),
            new("{area_easy}に {kinds_easy} が でました（{issuer_easy}）", "{reported_easy}、{issuer_easy} が {area_easy}に {kinds_easy} を だしました。{level_text_easy}", "{advice_easy}"),
            new("{kinds_en} for {area_en} — {issuer_en}", "At {reported_en}, the {issuer_en} issued {kinds_en} for {area_en}. {level_text_en}", "{advice_en}")),
        "landslide" => Texts(
            new("{issuer}が{area}に土砂災害警戒情報を発表しました", "{reported}、{issuer}が{area}に土砂災害警戒情報を発表しました。【警戒レベル4相当】土砂災害の危険度が非常に高まっています。", "{advice}"),
            new("{area_easy}に どしゃさいがい けいかい じょうほう が でました（{issuer_easy}）", "{reported_easy}、がけ が くずれる など の きけん が とても たかく なりました。（けいかい レベル 4）", "{advice_easy}"),
            new("Landslide Alert for {area_en} — {issuer_en}", "At {reported_en}, {issuer_en} issued a Landslide Alert for {area_en} (Alert level 4 equivalent). The risk of landslides is very high.", "{advice_en}")),
        "flood" => Texts(
            new("{issuer}が{rivers}の{kinds}を発表しました", "{reported}、{issuer}が{rivers}の{kinds}を発表しました。{level_text}対象の地域：{area}", "{advice}"),
            new("{rivers_easy} の {kinds_easy} が でました（{issuer_easy}）", "{reported_easy}、{rivers_easy} が あふれる きけん が あります。{level_text_easy}", "{advice_easy}"),
            new("{kinds_en} for {rivers_en} — {issuer_en}", "At {reported_en}, {issuer_en} issued {kinds_en} for {rivers_en} {level_text_en}. Areas: {area_en}.", "{advice_en}")),
        "heavy-rain" => Texts(
            new("{issuer}が{kinds}を発表しました（{area}）", "{feed_text}", "{advice}"),
            new("{area_easy}で とても つよい あめ が ふって います（{issuer_easy}）", "{reported_easy}、{area_easy}で とても つよい あめ が ふって います。", "{advice_easy}"),
            new("{kinds_en} for {area_en} — {issuer_en}", "At {reported_en}, the {issuer_en} reported record short-duration heavy rain around {area_en}.", "{advice_en}")),
        "tornado" => Texts(
            new("{issuer}が{area}に竜巻注意情報を発表しました", "{reported}、{issuer}が{area}に竜巻注意情報を発表しました。{witnessed}竜巻などの激しい突風が発生しやすい状況です。", "{advice}"),
            new("{area_easy}に たつまき ちゅうい じょうほう が でました（{issuer_easy}）", "{witnessed_easy}たつまき など の とても つよい かぜ が ふく かもしれません。", "{advice_easy}"),
            new("Tornado Alert for {area_en} — {issuer_en}", "At {reported_en}, the {issuer_en} issued a Tornado Alert for {area_en}. {witnessed_en}Conditions favour tornadoes and other violent gusts.", "{advice_en}")),
        "evacuation" => Texts(
            new("{issuer}が{area}に{kinds}を発令しました", "{reported}、{issuer}が{area}に{kinds}{level_text}を発令しました。", "{advice}"),
            new("{area_easy}に {kinds_easy} が でました（{issuer_easy}）", "{reported_easy}、{issuer_easy} が {area_easy}に {kinds_easy} を だしました。{level_text_easy}", "{advice_easy}"),
            new("{kinds_en} for {area_en} — {issuer_en}", "At {reported_en}, {issuer_en} issued {kinds_en} {level_text_en} for {area_en}.", "{advice_en}")),
        _ => Texts(
            new("{headline}（{issuer}）", "{feed_text}", "{feed_instruction}"),
            new("{headline}（{issuer_easy}）", "{feed_text}", "{advice_easy}"),
            new("{headline_en} — {issuer_en}", "{feed_text_en}", "{feed_instruction_en}")),
    };

    private static Dictionary<string, AlertText> Texts(AlertText ja, AlertText easy, AlertText en) =>
        new(StringComparer.OrdinalIgnoreCase) { ["ja"] = ja, ["ja-x-easy"] = easy, ["en"] = en };
}
