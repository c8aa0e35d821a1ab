using System.Xml.Linq;

namespace AlertHub.Core.Feeds.Jma;

/// <summary>Meteorological bodies (jmx_mete): warnings, landslide, flood, heavy-rain and tornado telegrams.</summary>
internal static class JmaWarnings
{
    private static readonly XNamespace Mete = JmaNames.Mete;
    private static readonly XNamespace Ib = JmaNames.Ib;

    /// <summary>
    /// Body/Warning/Item/{Kind*, Area}: the full current state of every area at every level (府県予報区等 … 市町村等).
    /// One EventArea per Item; its Kinds are what is in effect there after this telegram.
    /// </summary>
    public static void Read(JmaTelegramType type, XElement body, List<EventArea> areas)
    {
        // The same code can sit at two levels (秩父地方 is both 一次細分区域 and 市町村等をまとめた地域); it is one area.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in body.Elements(Mete + "Warning").Elements(Mete + "Item"))
        {
            var kinds = new List<string>();
            var statuses = new List<string>();
            string? inEffectStatus = null;
            var severity = EventSeverity.Info;
            int? level = null;
            foreach (var kind in item.Elements(Mete + "Kind"))
            {
                var name = JmaParser.Text(kind.Element(Mete + "Name"));
                var code = JmaParser.Text(kind.Element(Mete + "Code"));
                var status = JmaParser.Text(kind.Element(Mete + "Status"));
                if (status is not null)
                {
                    statuses.Add(status);
                }

                if (IsLifted(name, code, status))
                {
                    continue;
                }

                var (written, kindSeverity, kindLevel) = Classify(type, name ?? code ?? "");
                kinds.Add(written);
                if (kindSeverity > severity)
                {
                    severity = kindSeverity;
                }

                if (kindLevel is not null && (level is null || kindLevel > level))
                {
                    level = kindLevel;
                }

                // 発表 (new here) outranks a transition (特別警報から警報 …), which outranks 継続.
                if (status is not null && (inEffectStatus is null || Rank(status) > Rank(inEffectStatus)))
                {
                    inEffectStatus = status;
                }
            }

            var areaStatus = kinds.Count > 0
                ? inEffectStatus
                : statuses.Contains("解除") ? "解除" : statuses.FirstOrDefault();
            foreach (var area in item.Elements(Mete + "Area").Concat(item.Elements(Mete + "Areas").Elements(Mete + "Area")))
            {
                var code = JmaParser.Text(area.Element(Mete + "Code"));
                var name = JmaParser.Text(area.Element(Mete + "Name"));
                if ((code is null && name is null) || !seen.Add(code ?? "name:" + name))
                {
                    continue;
                }

                areas.Add(NewArea(code, name, areaStatus, kinds, severity, level));
            }
        }
    }

    /// <summary>Every area lifted (解除, なし, 発表警報・注意報はなし) and at least one actually 解除; VXWW50 also says 《全警戒解除》.</summary>
    public static bool IsAllClear(List<EventArea> areas, XElement head)
    {
        if (JmaParser.Text(head.Element(Ib + "Headline")?.Element(Ib + "Text"))?.Contains("《全警戒解除》", StringComparison.Ordinal) == true)
        {
            return true;
        }

        return areas.Count > 0 && areas.All(a => a.Kinds.Count == 0) && areas.Any(a => a.Status == "解除");
    }

    /// <summary>
    /// VXKOii: the river forecast zone (12-digit, from the Headline) with the kind and its 警戒レベル相当, and the
    /// municipalities of 浸水想定地区 (CityCode, 7-digit) that the same kind applies to.
    /// </summary>
    public static void ReadFlood(XElement head, XElement body, List<EventArea> areas)
    {
        // The strongest kind of the forecast zone(s) is what the inundated municipalities below are under.
        string? kindName = null;
        var severity = EventSeverity.Info;
        int? level = null;
        var lifted = false;
        foreach (var information in head.Element(Ib + "Headline")?.Elements(Ib + "Information") ?? [])
        {
            if (information.Attribute("type")?.Value != "指定河川洪水予報（予報区域）")
            {
                continue;
            }

            foreach (var item in information.Elements(Ib + "Item"))
            {
                var kind = item.Element(Ib + "Kind");
                var name = JmaParser.Text(kind?.Element(Ib + "Name"));
                var itemLifted = name?.Contains("解除", StringComparison.Ordinal) == true;
                var itemLevel = itemLifted ? null : FloodLevel(JmaParser.Text(kind?.Element(Ib + "Code")));
                var itemSeverity = LevelSeverity(itemLevel);
                if (kindName is null || itemSeverity > severity)
                {
                    (kindName, severity, level, lifted) = (name, itemSeverity, itemLevel, itemLifted);
                }

                foreach (var area in item.Elements(Ib + "Areas").Elements(Ib + "Area"))
                {
                    var zone = JmaParser.Text(area.Element(Ib + "Code"));
                    if (zone is not null)
                    {
                        areas.Add(new EventArea("jma-river", zone, null, JmaParser.Text(area.Element(Ib + "Name")), itemLifted ? "解除" : "発表",
                            itemLifted || name is null ? [] : [name], itemSeverity, itemLevel));
                    }
                }
            }
        }

        IReadOnlyList<string> kinds = lifted || kindName is null ? [] : [kindName];
        var cityCount = 0;
        var seen = new HashSet<(string, string?)>();
        foreach (var item in body.Elements(Mete + "Warning").Elements(Mete + "Item"))
        {
            var kind = item.Element(Mete + "Kind");
            if (JmaParser.Text(kind?.Element(Mete + "Name"))?.StartsWith("浸水想定地区", StringComparison.Ordinal) != true)
            {
                continue;
            }

            var status = JmaParser.Text(kind!.Element(Mete + "Status"));
            foreach (var area in item.Elements(Mete + "Areas").Elements(Mete + "Area"))
            {
                var code = JmaParser.Text(area.Element(Mete + "CityCode"));
                var city = JmaParser.Text(area.Element(Mete + "City")) ?? JmaParser.Text(area.Element(Mete + "Name"));
                if (code is null || !seen.Add((code, city)))
                {
                    continue;
                }

                areas.Add(new EventArea("jma-city", code, Municipality(code), city, lifted ? "解除" : status, kinds, severity, level));
                cityCount++;
            }
        }

        if (cityCount > 0)
        {
            return;
        }

        // No 浸水想定地区 list: the stations' Location names the municipality (by name only).
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var station in body.Elements(Mete + "Warning").Elements(Mete + "Item").Elements(Mete + "Stations").Elements(Mete + "Station"))
        {
            var location = JmaParser.Text(station.Element(Mete + "Location"));
            if (location is not null && names.Add(location))
            {
                areas.Add(new EventArea("name", location, null, location, lifted ? "解除" : "発表", kinds, severity, level));
            }
        }
    }

    /// <summary>VPBS50 府県気象防災速報: Headline tags name the 6-digit areas, MeteorologicalInfos the 7-digit municipalities.</summary>
    public static void ReadBulletin(string? headTitle, XElement head, XElement body, List<EventArea> areas)
    {
        var phenomenon = Phenomenon(headTitle) ?? "気象防災速報";
        IReadOnlyList<string> kinds = [phenomenon];
        foreach (var area in head.Element(Ib + "Headline")?.Elements(Ib + "Information").Elements(Ib + "Item").Elements(Ib + "Areas").Elements(Ib + "Area") ?? [])
        {
            var code = JmaParser.Text(area.Element(Ib + "Code"));
            if (code is not null)
            {
                areas.Add(NewArea(code, JmaParser.Text(area.Element(Ib + "Name")), "発表", kinds, EventSeverity.Moderate, null));
            }
        }

        foreach (var area in body.Descendants(Mete + "Area"))
        {
            var code = JmaParser.Text(area.Element(Mete + "Code"));
            if (code is not null && code.Length == 7)
            {
                areas.Add(NewArea(code, JmaParser.Text(area.Element(Mete + "Name")), JmaParser.Text(area.Element(Mete + "Status")) ?? "発表",
                    kinds, EventSeverity.Moderate, null));
            }
        }
    }

    private static EventArea NewArea(string? code, string? name, string? status, IReadOnlyList<string> kinds, EventSeverity severity, int? level)
    {
        if (code is null)
        {
            return new EventArea("name", name!, null, name, status, kinds, severity, level);
        }

        var scheme = code.Length switch
        {
            7 => "jma-city",
            6 => "jma-forecast",
            _ => "name",
        };
        return new EventArea(scheme, code, scheme == "jma-city" ? Municipality(code) : null, name, status, kinds, severity, level);
    }

    /// <summary>
    /// 7-digit 市町村等: the first five digits are the JIS municipality, both for whole municipalities (…00) and for
    /// JMA's sub-areas of one municipality (1410011 横浜市北部 is part of 14100).
    /// </summary>
    internal static string? Municipality(string code) =>
        code.Length == 7 && code.All(char.IsAsciiDigit) && code[..5] != "00000" ? code[..5] : null;

    private static bool IsLifted(string? name, string? code, string? status) =>
        status is "解除" or "なし" or "発表警報・注意報はなし"
        || name is "解除" or "なし"
        || (name is null && code is null);

    private static int Rank(string status) => status switch
    {
        "発表" => 3,
        "継続" => 1,
        _ => 2,
    };

    /// <summary>What the kind is called for targeting, its hub severity (reference §4) and its 警戒レベル where the product states it.</summary>
    private static (string Name, EventSeverity Severity, int? Level) Classify(JmaTelegramType type, string name) => type.TypeCode switch
    {
        // VXWW50's kind is just 警戒; the product itself is what residents know (警戒レベル４相当 per its Headline).
        "VXWW50" => ("土砂災害警戒情報", EventSeverity.Severe, 4),
        "VPOA50" => (name, EventSeverity.Moderate, null),
        "VPHW50" or "VPHW51" => (name, EventSeverity.Moderate, null),
        _ => (name, WarningSeverity(name), StatedLevel(name)),
    };

    internal static EventSeverity WarningSeverity(string name)
    {
        if (name.Contains("特別警報", StringComparison.Ordinal))
        {
            return EventSeverity.Extreme;
        }

        if (name.Contains("危険警報", StringComparison.Ordinal))
        {
            return EventSeverity.Severe;
        }

        if (name.Contains("警報", StringComparison.Ordinal))
        {
            return EventSeverity.Moderate;
        }

        return EventSeverity.Minor;
    }

    /// <summary>
    /// The 2026 names carry the level: レベル３大雨警報, レベル４土砂災害危険警報 (full-width or ASCII digit). Before them,
    /// JMA states 警戒レベル相当 for its 特別警報 only where it says so: 大雨特別警報 = レベル５相当, 高潮特別警報 = レベル４相当
    /// (暴風・波浪・大雪の特別警報 have none).
    /// </summary>
    internal static int? StatedLevel(string name)
    {
        var at = name.IndexOf("レベル", StringComparison.Ordinal);
        if (at < 0 || at + 3 >= name.Length)
        {
            return name switch
            {
                _ when name.Contains("大雨特別警報", StringComparison.Ordinal) => 5,
                _ when name.Contains("高潮特別警報", StringComparison.Ordinal) => 4,
                _ => null,
            };
        }

        var digit = name[at + 3];
        return digit switch
        {
            >= '1' and <= '5' => digit - '0',
            >= '１' and <= '５' => digit - '０',
            _ => null,
        };
    }

    /// <summary>VXKO kind codes: 20 氾濫注意 → 2, 30 氾濫警戒 → 3, 40/41 氾濫危険 → 4, 50–53 氾濫発生 → 5 (警戒レベル相当).</summary>
    private static int? FloodLevel(string? code) => code switch
    {
        "20" => 2,
        "30" => 3,
        "40" or "41" => 4,
        "50" or "51" or "52" or "53" => 5,
        _ => null,
    };

    private static EventSeverity LevelSeverity(int? level) => level switch
    {
        5 => EventSeverity.Extreme,
        4 => EventSeverity.Severe,
        3 => EventSeverity.Moderate,
        2 => EventSeverity.Minor,
        _ => EventSeverity.Info,
    };

    /// <summary>"網走・北見・紋別地方気象防災速報（記録的短時間大雨）" → "記録的短時間大雨".</summary>
    private static string? Phenomenon(string? headTitle)
    {
        if (headTitle is null || !headTitle.EndsWith('）'))
        {
            return null;
        }

        var open = headTitle.LastIndexOf('（');
        return open < 0 ? null : headTitle[(open + 1)..^1];
    }
}
