using System.Globalization;

namespace AlertHub.Server.Features.Rules.Templates;

/// <summary>One phrase in the three languages residents read: 日本語, やさしい日本語 (kana for hard words) and English.</summary>
internal sealed record Words(string Ja, string Easy, string En);

/// <summary>
/// How JMA's and the city's hazard words read in やさしい日本語 and English. English follows JMA's own English
/// (seismic intensity 5 Lower on the JMA scale, Heavy Rain Emergency Warning, Major Tsunami Warning); a word the
/// table does not know stays as JMA wrote it in every language rather than being guessed.
/// </summary>
internal static class HazardWords
{
    /// <summary>震度 as residents read it: "5-" → 震度5弱 / しんど 5じゃく / seismic intensity 5 Lower (JMA scale).</summary>
    public static Words Intensity(string intensity)
    {
        var unreported = intensity.EndsWith('?');
        var value = intensity.TrimEnd('?').Trim();
        var (ja, easy, en) = value switch
        {
            "5-" => ("5弱", "5じゃく", "5 Lower"),
            "5+" => ("5強", "5きょう", "5 Upper"),
            "6-" => ("6弱", "6じゃく", "6 Lower"),
            "6+" => ("6強", "6きょう", "6 Upper"),
            _ => (value, value, value),
        };
        return unreported
            ? new Words($"震度{ja}以上（観測値は未入電）", $"しんど {easy} いじょう", $"seismic intensity {en} or higher (JMA scale; readings not yet received)")
            : new Words($"震度{ja}", $"しんど {easy}", $"seismic intensity {en} (JMA scale)");
    }

    private static readonly (string Ja, string Easy, string En)[] WarningHazards =
    [
        ("暴風雪", "ぼうふうせつ（つよい かぜ と ゆき）", "Snowstorm"), ("土砂災害", "どしゃさいがい", "Landslide"), ("大雨", "おおあめ", "Heavy Rain"),
        ("洪水", "こうずい", "Flood"), ("暴風", "ぼうふう（とても つよい かぜ）", "Storm"), ("大雪", "おおゆき", "Heavy Snow"),
        ("波浪", "たかい なみ", "High Wave"), ("高潮", "たかしお", "Storm Surge"), ("雷", "かみなり", "Thunderstorm"), ("強風", "つよい かぜ", "Gale"),
        ("風雪", "かぜ と ゆき", "Gale and Snow"), ("濃霧", "こい きり", "Dense Fog"), ("乾燥", "かんそう", "Dry Air"), ("なだれ", "なだれ", "Avalanche"),
        ("低温", "ていおん（とても さむい）", "Low Temperature"), ("霜", "しも", "Frost"), ("着氷", "こおり が つく", "Ice Accretion"),
        ("着雪", "ゆき が つく", "Snow Accretion"), ("融雪", "ゆき が とける", "Snowmelt"),
    ];

    private static readonly (string Ja, string Easy, string En)[] WarningGrades =
    [
        ("特別警報", "とくべつ けいほう", "Emergency Warning"), ("危険警報", "きけん けいほう", "Danger Warning"),
        ("警報", "けいほう", "Warning"), ("注意報", "ちゅういほう", "Advisory"),
    ];

    /// <summary>
    /// A JMA warning kind: 大雨警報 → おおあめ けいほう / Heavy Rain Warning; the 2026 names keep their level
    /// (レベル３大雨警報 → Heavy Rain Warning (Level 3)); 土砂災害警戒情報, 竜巻注意情報 and the flood forecasts by name.
    /// </summary>
    public static Words Kind(string kind)
    {
        var fixedName = kind switch
        {
            "土砂災害警戒情報" => new Words(kind, "どしゃさいがい けいかい じょうほう", "Landslide Alert"),
            "竜巻注意情報" => new Words(kind, "たつまき ちゅうい じょうほう", "Tornado Alert"),
            "記録的短時間大雨情報" => new Words(kind, "きろくてき たんじかん おおあめ じょうほう（とても つよい あめ）", "Record Short-Duration Heavy Rain Information"),
            "氾濫注意情報" => new Words(kind, "はんらん ちゅうい じょうほう", "Flood Caution Information"),
            "氾濫警戒情報" => new Words(kind, "はんらん けいかい じょうほう", "Flood Warning Information"),
            "氾濫危険情報" => new Words(kind, "はんらん きけん じょうほう（かわ が あふれそう）", "Flood Danger Information"),
            "氾濫発生情報" => new Words(kind, "はんらん はっせい じょうほう（かわ が あふれた）", "Flood Occurrence Information"),
            _ => null,
        };
        if (fixedName is not null)
        {
            return fixedName;
        }

        var rest = kind;
        int? level = null;
        if (rest.StartsWith("レベル", StringComparison.Ordinal) && rest.Length > 4)
        {
            level = rest[3] switch { >= '1' and <= '5' => rest[3] - '0', >= '１' and <= '５' => rest[3] - '１' + 1, _ => null };
            rest = level is null ? rest : rest[4..];
        }

        foreach (var grade in WarningGrades)
        {
            if (!rest.EndsWith(grade.Ja, StringComparison.Ordinal))
            {
                continue;
            }

            var hazard = rest[..^grade.Ja.Length];
            var known = WarningHazards.FirstOrDefault(h => h.Ja == hazard);
            if (known.Ja is null)
            {
                break;
            }

            var levelJa = level is null ? "" : $"（レベル{level}）";
            var levelEn = level is null ? "" : string.Create(CultureInfo.InvariantCulture, $" (Level {level})");
            return new Words(kind, $"{known.Easy} {grade.Easy}{levelJa}", $"{known.En} {grade.En}{levelEn}");
        }

        return new Words(kind, kind, kind);
    }

    /// <summary>津波予報 kinds (VTSE41).</summary>
    public static Words TsunamiKind(string kind) => kind switch
    {
        "大津波警報" or "大津波警報：発表" => new Words("大津波警報", "おおつなみ けいほう", "Major Tsunami Warning"),
        "津波警報" => new Words(kind, "つなみ けいほう", "Tsunami Warning"),
        "津波注意報" => new Words(kind, "つなみ ちゅういほう", "Tsunami Advisory"),
        _ when kind.StartsWith("津波予報", StringComparison.Ordinal) => new Words(kind, "つなみ よほう（うみ の たかさ が すこし かわります）", "Tsunami Forecast (slight sea-level change)"),
        _ => new Words(kind, kind, kind),
    };

    /// <summary>Evacuation orders (both vocabularies) with the level they are.</summary>
    public static Words Evacuation(string sort) => sort switch
    {
        _ when sort.Contains("緊急安全確保", StringComparison.Ordinal) => new Words(sort, "きんきゅう あんぜん かくほ（いのち を まもって ください）", "Emergency Safety Measure"),
        _ when sort.Contains("避難指示", StringComparison.Ordinal) || sort.Contains("避難勧告", StringComparison.Ordinal) =>
            new Words(sort, "ひなん しじ（にげて ください）", "Evacuation Order"),
        _ when sort.Contains("高齢者等避難", StringComparison.Ordinal) || sort.Contains("避難準備", StringComparison.Ordinal) =>
            new Words(sort, "こうれいしゃとう ひなん（おとしより など は にげて ください）", "Evacuation of Elderly People and Others"),
        _ => new Words(sort, sort, sort),
    };

    /// <summary>
    /// The sentences of a JMA tsunami statement (Comments/ForecastComment), translated sentence by sentence. The
    /// Japanese stays JMA's own words; a sentence the table does not know is kept in Japanese in the other two.
    /// </summary>
    public static Words TsunamiStatement(string text)
    {
        var sentences = text.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(line => line.Split('。', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s + "。"))
            .ToList();
        var easy = new List<string>();
        var en = new List<string>();
        foreach (var sentence in sentences)
        {
            var (e, n) = sentence switch
            {
                "この地震による津波の心配はありません。" => ("つなみ の しんぱい は ありません。", "There is no tsunami risk from this earthquake."),
                "この地震について、緊急地震速報を発表しています。" => ("", "JMA issued an Earthquake Early Warning for this earthquake."),
                "日本への津波の有無については現在調査中です。" => ("にほん に つなみ が くるか、いま しらべて います。", "JMA is still checking whether a tsunami will reach Japan."),
                "この地震により、日本の沿岸では若干の海面変動があるかもしれませんが、被害の心配はありません。" =>
                    ("うみ の たかさ が すこし かわる かもしれませんが、ひがい の しんぱい は ありません。", "The sea level along Japan's coasts may change slightly, but no damage is expected."),
                "津波警報等（大津波警報・津波警報あるいは津波注意報）を発表中です。" =>
                    ("つなみ の けいほう や ちゅういほう が でて います。", "Tsunami warnings or advisories are in effect."),
                "今後もしばらく海面変動が続くと思われますので、海水浴や磯釣り等を行う際は注意してください。" =>
                    ("しばらく うみ の たかさ が かわります。うみ に ちかづかないで ください。", "Sea-level changes may continue for a while; take care when swimming or fishing."),
                _ => (sentence, "JMA (in Japanese): " + sentence),
            };
            if (e.Length > 0)
            {
                easy.Add(e);
            }

            en.Add(n);
        }

        return new Words(string.Concat(sentences), string.Join(" ", easy), string.Join(" ", en));
    }

    /// <summary>An alert's event name in English (CAP en info, English texts): 地震 → Earthquake; unknown names stay as written.</summary>
    public static string EventEnglish(string eventName) => eventName switch
    {
        "地震" => "Earthquake",
        "津波" => "Tsunami",
        "土砂災害" => "Landslide",
        "洪水" or "河川氾濫" or "氾濫" => "Flood",
        "気象警報" => "Weather warning",
        "大雨" => "Heavy rain",
        "竜巻" => "Tornado",
        "避難情報" or "避難" => "Evacuation",
        "火災" => "Fire",
        "噴火" or "火山" => "Volcanic eruption",
        "高潮" => "Storm surge",
        "暴風" => "Storm",
        "大雪" => "Heavy snow",
        "熱中症" => "Heatstroke",
        "防災情報" => "Disaster information",
        _ => eventName,
    };

    /// <summary>Who said so, in each language: 気象庁 / きしょうちょう / Japan Meteorological Agency.</summary>
    public static readonly Words Jma = new("気象庁", "きしょうちょう", "Japan Meteorological Agency");
}
