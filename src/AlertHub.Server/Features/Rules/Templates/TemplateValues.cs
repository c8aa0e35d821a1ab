using System.Globalization;
using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Feeds;

namespace AlertHub.Server.Features.Rules.Templates;

/// <summary>
/// The placeholder values of rule templates, computed once per event from the areas a rule acts on. Every
/// placeholder exists in three forms: <c>{name}</c> (日本語), <c>{name_easy}</c> (やさしい日本語) and <c>{name_en}</c>
/// (English, romanised place names). Sentence placeholders ({quake}, {area_intensity}, {tsunami}, {tsunami_areas},
/// {advice} …) carry their own punctuation and are empty when the telegram does not say.
/// </summary>
/// <remarks>
/// Placeholders: {headline} (the feed's own headline), {feed_text}, {feed_instruction}, {area}, {kinds}, {intensity},
/// {level}, {level_text}, {time} (issue time, H時m分), {reported} (the report time, M月d日 H時mm分), {issuer} (who said so: 気象庁,
/// 秋田県と気象庁, the city for L-Alert, the CAP senderName), {office} (as written), {quake} (time, epicentre, depth,
/// magnitude), {area_intensity} (each place's own intensity), {tsunami} (JMA's tsunami statement), {tsunami_areas}
/// (kind, height and first arrival per 予報区), {rivers}, {witnessed}, {advice} (what to do, by family and level).
/// </remarks>
internal static class TemplateValues
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static Dictionary<string, string> Build(HazardEvent e, IReadOnlyList<EventArea> areas, PlaceNames places)
    {
        // Speak of the most specific places: the municipalities themselves when the event names them, else its regions
        // (a region's intensity is its strongest place, not the city's).
        var named = areas.Any(a => a.Municipality is not null) ? areas.Where(a => a.Municipality is not null).ToList() : areas.ToList();
        var names = named.Select(a => a.Name).OfType<string>().Where(n => n.Length > 0).Distinct().ToList();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Set(string key, Words words)
        {
            values[$"{{{key}}}"] = words.Ja;
            values[$"{{{key}_easy}}"] = words.Easy;
            values[$"{{{key}_en}}"] = words.En;
        }

        var en = e.TextIn("en");
        Set("headline", new Words(e.MainText.Headline, e.MainText.Headline, en?.Headline ?? e.MainText.Headline));
        Set("feed_text", new Words(e.MainText.Body ?? "", e.MainText.Body ?? "", en?.Body ?? ""));
        Set("feed_instruction", new Words(e.MainText.Instruction ?? "", e.MainText.Instruction ?? "", en?.Instruction ?? ""));
        Set("area", new Words(string.Join("・", names), string.Join("、", names.Select(places.Easy)), string.Join(", ", names.Select(places.English))));

        var kinds = areas.SelectMany(a => a.Kinds).Distinct().Select(k => KindWords(e, k)).ToList();
        Set("kinds", new Words(string.Join("、", kinds.Select(k => k.Ja)), string.Join("、", kinds.Select(k => k.Easy)), string.Join(", ", kinds.Select(k => k.En))));

        var strongest = named.Select(a => a.MaxIntensity).OfType<string>().OrderByDescending(RuleEngine.IntensityRank).FirstOrDefault();
        Set("intensity", strongest is null ? new Words("", "", "") : HazardWords.Intensity(strongest));

        var level = e.AlertLevel?.ToString(CultureInfo.InvariantCulture) ?? "";
        values["{level}"] = values["{level_easy}"] = values["{level_en}"] = level;
        var equivalent = e.Source == FeedSource.Jma ? "相当" : "";
        Set("level_text", level.Length == 0
            ? new Words("", "", "")
            : new Words($"【警戒レベル{level}{equivalent}】", $"（けいかい レベル {level}）", $"(Alert level {level}{(equivalent.Length > 0 ? " equivalent" : "")})"));

        var issued = e.IssuedAt.ToOffset(Jst);
        values["{time}"] = values["{time_easy}"] = issued.ToString("H時m分", CultureInfo.InvariantCulture);
        values["{time_en}"] = issued.ToString("HH:mm", CultureInfo.InvariantCulture);
        Set("reported", When(e.ReportedAt ?? e.IssuedAt, about: false));

        var issuer = Issuer(e, places);
        Set("issuer", issuer);
        Set("office", new Words(Office(e) ?? issuer.Ja, Office(e) ?? issuer.Ja, issuer.En));

        Set("quake", Quake(e, places));
        Set("area_intensity", AreaIntensity(named, places));
        Set("tsunami", e.Earthquake?.TsunamiComment is { } statement ? HazardWords.TsunamiStatement(statement) : new Words("", "", ""));
        Set("tsunami_areas", TsunamiAreas(areas, places));
        var rivers = e.Jma?.Rivers.Select(r => r.Name).Distinct().ToList() ?? [];
        Set("rivers", new Words(string.Join("・", rivers), string.Join("、", rivers), string.Join(", ", rivers)));
        Set("witnessed", e.Jma?.TornadoWitnessed == true
            ? new Words("竜巻などの激しい突風が目撃されています。", "たつまき を みた ひと が います。", "A tornado or similar violent gust has been sighted. ")
            : new Words("", "", ""));
        Set("advice", Advice(e, areas, strongest));
        return values;
    }

    /// <summary>Replaces every placeholder; unknown ones are left as written so a typo shows instead of vanishing.</summary>
    public static string? Apply(string? template, IReadOnlyDictionary<string, string> values)
    {
        if (template is null)
        {
            return null;
        }

        var text = template;
        foreach (var (key, value) in values.OrderByDescending(kv => kv.Key.Length))
        {
            text = text.Replace(key, value, StringComparison.Ordinal);
        }

        return text.Trim();
    }

    private static Words KindWords(HazardEvent e, string kind) => e.Category switch
    {
        "tsunami" => HazardWords.TsunamiKind(kind),
        "evacuation" => HazardWords.Evacuation(kind),
        _ => HazardWords.Kind(kind),
    };

    /// <summary>6月14日 8時43分(ごろ) / 6がつ14にち 8じ43ふん(ごろ) / (about) 08:43 on 14 June (Japan time).</summary>
    private static Words When(DateTimeOffset time, bool about)
    {
        var t = time.ToOffset(Jst);
        var c = CultureInfo.InvariantCulture;
        var roughly = about ? "ごろ" : "";
        return new Words(
            t.ToString($"M月d日 H時mm分'{roughly}'", c),
            t.ToString($"M'がつ'd'にち' H'じ'mm'ふん'{(about ? "' ごろ'" : "")}", c),
            (about ? "about " : "") + t.ToString("HH:mm 'on' d MMMM", c) + " (Japan time)");
    }

    private static Words Issuer(HazardEvent e, PlaceNames places)
    {
        var office = Office(e);
        if (e.Source != FeedSource.Jma || office is null)
        {
            var name = office ?? "";
            return new Words(name, places.Easy(name), places.English(name));
        }

        // 秋田地方気象台, 気象庁予報部 … are all 気象庁 to residents; a prefecture or river office that issues jointly is named too.
        var parts = office.Split([' ', '　'], StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Contains("気象台", StringComparison.Ordinal) || p.StartsWith("気象庁", StringComparison.Ordinal) ? null : p)
            .Distinct().ToList();
        var words = parts.Select(p => p is null ? HazardWords.Jma : new Words(p, places.Easy(p), places.English(p)))
            .OrderBy(w => w == HazardWords.Jma ? 1 : 0).ToList();
        return new Words(string.Join("と", words.Select(w => w.Ja)), string.Join(" と ", words.Select(w => w.Easy)),
            string.Join(" and ", words.Select(w => w == HazardWords.Jma && words.Count > 1 ? "the " + w.En : w.En)));
    }

    private static string? Office(HazardEvent e) => e.Jma?.PublishingOffice ?? e.Issuer;

    private static Words Quake(HazardEvent e, PlaceNames places)
    {
        if (e.Earthquake is not { } q)
        {
            return new Words("", "", "");
        }

        var ja = new List<string>();
        var easy = new List<string>();
        var en = new List<string>();
        if (q.OriginTime is { } origin)
        {
            var when = When(origin, about: true);
            ja.Add($"{when.Ja}、地震がありました。");
            easy.Add($"{when.Easy}、じしん が ありました。");
            en.Add($"An earthquake occurred at {when.En}.");
        }

        var magnitude = q.Magnitude?.ToString("0.0", CultureInfo.InvariantCulture);
        var huge = q.Magnitude is null && q.MagnitudeText?.Contains('８') == true;
        if (q.Hypocenter is { } epicentre)
        {
            var detail = q.HypocenterDetail is null ? "" : $"（{q.HypocenterDetail}）";
            var depthJa = q.DepthKm switch { null => "", 0 => "震源はごく浅く、", var d => $"震源の深さは約{d:0}km、" };
            var magnitudeJa = magnitude is not null ? $"地震の規模（マグニチュード）は{magnitude}と推定されます。"
                : huge ? "地震の規模はマグニチュード8を超える巨大地震と推定されます。" : "地震の規模は分かっていません。";
            ja.Add($"震源地は{epicentre}{detail}で、{depthJa}{magnitudeJa}");
            easy.Add($"じしん が おきた ところ は {places.Easy(epicentre)}{detail} です。"
                + (magnitude is not null ? $"じしん の おおきさ は マグニチュード {magnitude} です。" : huge ? "とても おおきな じしん です。" : ""));
            var depthEn = q.DepthKm switch { null => "", 0 => ", very shallow", var d => string.Create(CultureInfo.InvariantCulture, $", about {d:0} km deep") };
            var magnitudeEn = magnitude is not null ? $" The magnitude is estimated at {magnitude}." : huge ? " The magnitude is estimated above 8 (a huge earthquake)." : " The magnitude is not yet known.";
            en.Add($"The epicentre was {EnglishPlace(epicentre, q.HypocenterDetail, places)}{depthEn}.{magnitudeEn}");
        }

        return new Words(string.Concat(ja), string.Join("", easy), string.Join(" ", en) + (en.Count > 0 ? " " : ""));
    }

    private static string EnglishPlace(string epicentre, string? detail, PlaceNames places)
    {
        var english = places.Describe(epicentre).English;
        return english is not null ? "in " + english : $"at {epicentre}{(detail is null ? "" : $" ({detail})")} (Japanese name)";
    }

    private static Words AreaIntensity(IReadOnlyList<EventArea> named, PlaceNames places)
    {
        var observed = named.Where(a => a.MaxIntensity is not null && a.Name is not null).DistinctBy(a => a.Name).ToList();
        if (observed.Count == 0)
        {
            return new Words("", "", "");
        }

        var ja = string.Join("、", observed.Select(a => $"{a.Name}で{HazardWords.Intensity(a.MaxIntensity!).Ja}"));
        var easy = string.Concat(observed.Select(a => $"{places.Easy(a.Name!)}の ゆれ は {HazardWords.Intensity(a.MaxIntensity!).Easy} でした。"));
        var en = string.Join(" ", observed.Select(a => $"In {places.English(a.Name!)}, the shaking reached {HazardWords.Intensity(a.MaxIntensity!).En}."));
        return new Words($"{ja}を観測しました。", easy, en + " ");
    }

    private static Words TsunamiAreas(IReadOnlyList<EventArea> areas, PlaceNames places)
    {
        var ja = new List<string>();
        var easy = new List<string>();
        var en = new List<string>();
        foreach (var area in areas.Where(a => a.Scheme == "jma-tsunami" && a.Kinds.Count > 0 && a.Name is not null))
        {
            var kind = HazardWords.TsunamiKind(area.Kinds[0]);
            var forecast = area.Tsunami;
            var height = forecast?.MaxHeightText;
            var arrivalJa = forecast?.ArrivalCondition ?? (forecast?.FirstArrival is { } at ? at.ToOffset(Jst).ToString("H時mm分", CultureInfo.InvariantCulture) + "ごろ" : null);
            var arrivalEn = forecast?.ArrivalCondition is { } condition
                ? $"first wave: {condition} (JMA, in Japanese)"
                : forecast?.FirstArrival is { } t ? "first wave expected at about " + t.ToOffset(Jst).ToString("HH:mm", CultureInfo.InvariantCulture) : null;
            ja.Add($"{area.Name}：{kind.Ja}" + (height is null ? "" : $"、予想される津波の高さ {height}") + (arrivalJa is null ? "" : $"、第1波 {arrivalJa}") + "。");
            easy.Add($"{places.Easy(area.Name!)}：{kind.Easy}" + (height is null ? "" : $"、つなみ の たかさ {height}") + "。");
            en.Add($"{places.English(area.Name!)}: {kind.En}" + (forecast?.MaxHeightMeters is { } m ? string.Create(CultureInfo.InvariantCulture, $", up to {m:0.#} m") : height is null ? "" : $", height {height} (JMA)")
                + (arrivalEn is null ? "" : $", {arrivalEn}") + ".");
        }

        return new Words(string.Concat(ja), string.Join("", easy), string.Join(" ", en) + (en.Count > 0 ? " " : ""));
    }

    /// <summary>What to do, by family and how serious it is. Earthquake advice follows JMA's wording since 2016: 「同程度の地震」, not 余震.</summary>
    private static Words Advice(HazardEvent e, IReadOnlyList<EventArea> areas, string? intensity)
    {
        var severity = areas.Count == 0 ? e.Severity : areas.Max(a => a.Severity);
        var level = areas.Select(a => a.AlertLevel).Max() ?? e.AlertLevel;
        switch (e.Category)
        {
            case "earthquake" or "earthquake-intensity" or "earthquake-hypocenter":
                return RuleEngine.IntensityRank(intensity) >= RuleEngine.IntensityRank("5-")
                    ? new Words(
                        "まず身の安全を確保し、揺れが収まってから火の元を確認してください。揺れの強かった地域では、家屋の倒壊や土砂災害などの危険性が高まっています。今後1週間程度は、同じ程度の揺れの地震に注意してください。",
                        "まず あたま を まもって ください。ゆれ が とまったら、火（ひ）を けして ください。これから 1しゅうかん ぐらい、おなじ ぐらい つよい じしん が くる かもしれません。きをつけて ください。",
                        "Protect yourself first; check for fire once the shaking stops. In areas that shook strongly, buildings may collapse and landslides are more likely. For about a week, be ready for earthquakes of similar strength.")
                    : new Words(
                        "まず身の安全を確保し、揺れが収まってから火の元を確認してください。今後の情報に注意してください。",
                        "まず あたま を まもって ください。ゆれ が とまったら、火（ひ）を けして ください。",
                        "Protect yourself first; check for fire once the shaking stops. Watch for further information.");
            case "tsunami":
                return severity >= EventSeverity.Severe
                    ? new Words(
                        "海岸や川の近くにいる人は、ただちに高台や津波避難ビルなど安全な場所へ避難してください。津波は繰り返し襲ってきます。警報が解除されるまで安全な場所を離れないでください。",
                        "うみ や かわ の ちかく に いる ひと は、すぐ たかい ところ へ にげて ください。けいほう が おわる まで もどらないで ください。",
                        "If you are near the coast or a river, evacuate to high ground or a tsunami evacuation building now. Tsunamis come again and again: stay there until the warning is lifted.")
                    : new Words(
                        "海の中にいる人はただちに海から上がって、海岸から離れてください。注意報が解除されるまで海に入ったり海岸に近づいたりしないでください。",
                        "うみ に いる ひと は、すぐ うみ から あがって ください。うみ に ちかづかないで ください。",
                        "If you are in the sea, get out now and move away from the shore. Stay away from the sea until the advisory is lifted.");
            case "landslide":
                return new Words(
                    "土砂災害警戒区域など危険な場所にいる人は、市の避難指示を確認し、安全な場所へ避難してください。崖や沢には近づかないでください。",
                    "がけ や さわ の ちかく に いる ひと は、あんぜん な ところ へ にげて ください。",
                    "If you are near a steep slope or a mountain stream, check the city's evacuation order and move to a safe place. Keep away from slopes and streams.");
            case "flood":
                return level >= 4
                    ? new Words(
                        "川の近くや浸水のおそれがある場所にいる人は、市の避難情報を確認し、ただちに安全な場所へ避難してください。",
                        "かわ の ちかく に いる ひと は、すぐ あんぜん な ところ へ にげて ください。",
                        "If you are near the river or in an area that may flood, check the city's evacuation information and move to a safe place now.")
                    : new Words(
                        "川に近づかず、市の避難情報と今後の情報に注意してください。",
                        "かわ に ちかづかないで ください。しらせ に きをつけて ください。",
                        "Stay away from the river and watch for the city's evacuation information.");
            case "heavy-rain":
                return new Words(
                    "土砂災害や浸水、川の氾濫の危険が急に高まっています。危険な場所にいる人は、市の避難情報を確認し、安全な場所へ移動してください。",
                    "とても つよい あめ です。がけ や かわ の ちかく に いる ひと は、あんぜん な ところ へ いって ください。",
                    "The risk of landslides, flooding and overflowing rivers is rising fast. If you are in a dangerous place, check the city's evacuation information and move to safety.");
            case "tornado":
                return new Words(
                    "空の様子に注意し、真っ黒な雲が近づく、雷が鳴るなどの兆しがあれば、頑丈な建物の中に入り、窓から離れてください。",
                    "くろい くも や かみなり に きをつけて ください。じょうぶ な たてもの の なか に はいって、まど から はなれて ください。",
                    "Watch the sky. If dark clouds approach or you hear thunder, go inside a sturdy building and stay away from windows.");
            case "evacuation":
                return level switch
                {
                    >= 5 => new Words("命の危険があります。ただちに身の安全を確保してください。", "いのち が あぶない です。すぐ いのち を まもって ください。",
                        "Your life is in danger. Take action to protect your life now."),
                    4 => new Words("危険な場所にいる人は全員、安全な場所へ避難してください。", "あぶない ところ に いる ひと は、みんな にげて ください。",
                        "Everyone in a dangerous place must evacuate to a safe place."),
                    _ => new Words("高齢者や障害のある人など避難に時間のかかる人とその支援者は、危険な場所から避難してください。ほかの人も避難の準備をしてください。",
                        "おとしより や からだ の ふじゆう な ひと は、にげて ください。ほか の ひと も にげる じゅんび を して ください。",
                        "Elderly people, people with disabilities and others who need time to evacuate must leave dangerous places now; everyone else should get ready."),
                };
            case "weather-warning":
                return severity switch
                {
                    EventSeverity.Extreme => new Words("これまでに経験したことのないような重大な危険が迫っています。ただちに命を守る行動をとってください。",
                        "とても あぶない です。すぐ いのち を まもって ください。", "An unprecedented, life-threatening danger is imminent. Take action to protect your life now."),
                    >= EventSeverity.Moderate => new Words("市の避難情報と最新の気象情報に注意し、危険な場所にいる人は早めに避難の準備をしてください。",
                        "しやくしょ の ひなん の しらせ と、てんき の ニュース を みて ください。",
                        "Check the city's evacuation information and the latest weather news. If you are in a dangerous place, get ready to evacuate early."),
                    _ => new Words("最新の気象情報に注意してください。", "てんき の ニュース を みて ください。", "Watch the latest weather information."),
                };
            default:
                return new Words("今後の情報に注意してください。", "これから の しらせ に きをつけて ください。", "Watch for further information.");
        }
    }
}
