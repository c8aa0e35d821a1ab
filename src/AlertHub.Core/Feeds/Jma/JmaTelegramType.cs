namespace AlertHub.Core.Feeds.Jma;

/// <summary>How the body of an interpreted telegram is read.</summary>
internal enum JmaBodyShape
{
    /// <summary>Body/Warning/Item/{Kind*, Area}: VPWW5x, VXWW50, VPOA50, VPHW5x.</summary>
    Warning,
    /// <summary>VXKOii: river zone kinds in the Headline, 浸水想定地区 municipalities in the Body.</summary>
    Flood,
    /// <summary>VPBS50 気象防災速報: Headline tags (6-digit) and MeteorologicalInfos areas (7-digit).</summary>
    Bulletin,
    /// <summary>VXSE51/52/53: Earthquake + Intensity/Observation.</summary>
    Earthquake,
    /// <summary>VTSE41/51: Tsunami/Forecast/Item.</summary>
    Tsunami,
}

/// <summary>What a Control/Title means to the hub.</summary>
/// <param name="TypeCode">JMA data type (VPWW53, VXSE53 …).</param>
/// <param name="UsesEventId">Whether Head/EventID is part of the series identity (JMA FAQ: "or those plus EventID").</param>
/// <param name="SeriesGroup">The title part of the series key; shared by VXSE51/52/53 so one quake is one series.</param>
internal sealed record JmaTelegramType(string TypeCode, string Category, JmaBodyShape Shape, bool UsesEventId, string SeriesGroup)
{
    private const string QuakeGroup = "地震情報";

    /// <summary>The 2026 per-hazard warnings (VPWW55–61), by the hazard suffix of their Control/Title.</summary>
    private static readonly Dictionary<string, string> R06Suffixes = new(StringComparer.Ordinal)
    {
        ["大雨"] = "VPWW55",
        ["土砂"] = "VPWW56",
        ["高潮"] = "VPWW57",
        ["暴風"] = "VPWW58",
        ["波浪"] = "VPWW59",
        ["大雪"] = "VPWW60",
        ["その他注意報"] = "VPWW61",
    };

    private const string R06Prefix = "気象警報・注意報（Ｒ０６）（";

    /// <summary>Classifies a telegram; null when the hub does not interpret this title.</summary>
    public static JmaTelegramType? Classify(string controlTitle, string? headTitle, string? infoKind)
    {
        switch (controlTitle)
        {
            case "気象特別警報・警報・注意報":
                return new("VPWW53", "weather-warning", JmaBodyShape.Warning, false, controlTitle);
            case "気象警報・注意報（Ｈ２７）":
                return new("VPWW54", "weather-warning", JmaBodyShape.Warning, false, controlTitle);
            case "土砂災害警戒情報":
                return new("VXWW50", "landslide", JmaBodyShape.Warning, true, controlTitle);
            case "指定河川洪水予報":
                return new("VXKO", "flood", JmaBodyShape.Flood, true, controlTitle);
            case "記録的短時間大雨情報":
                return new("VPOA50", "heavy-rain", JmaBodyShape.Warning, true, controlTitle);
            case "府県気象防災速報":
                // The 2026 速報 carries several phenomena under one title; the Head/Title suffix says which.
                var tornado = (headTitle?.Contains("竜巻", StringComparison.Ordinal) ?? false) || infoKind == "竜巻注意情報";
                return new("VPBS50", tornado ? "tornado" : "heavy-rain", JmaBodyShape.Bulletin, true, controlTitle);
            case "竜巻注意情報":
                return new("VPHW50", "tornado", JmaBodyShape.Warning, false, controlTitle);
            case "竜巻注意情報（目撃情報付き）":
                return new("VPHW51", "tornado", JmaBodyShape.Warning, false, controlTitle);
            case "震度速報":
                return new("VXSE51", "earthquake-intensity", JmaBodyShape.Earthquake, true, QuakeGroup);
            case "震源に関する情報":
                return new("VXSE52", "earthquake-hypocenter", JmaBodyShape.Earthquake, true, QuakeGroup);
            case "震源・震度に関する情報":
                return new("VXSE53", "earthquake", JmaBodyShape.Earthquake, true, QuakeGroup);
            case "津波警報・注意報・予報a" or "津波警報・注意報・予報":
                return new("VTSE41", "tsunami", JmaBodyShape.Tsunami, true, controlTitle);
            case "津波情報a" or "津波情報":
                return new("VTSE51", "tsunami", JmaBodyShape.Tsunami, true, controlTitle);
        }

        if (controlTitle.StartsWith(R06Prefix, StringComparison.Ordinal) && controlTitle.EndsWith('）'))
        {
            var suffix = controlTitle[R06Prefix.Length..^1];
            if (R06Suffixes.TryGetValue(suffix, out var code))
            {
                return new(code, "weather-warning", JmaBodyShape.Warning, false, controlTitle);
            }
        }

        return null;
    }
}
