using System.Globalization;
using System.Xml.Linq;

namespace AlertHub.Core.Feeds.Jma;

/// <summary>
/// Turns one JMA 防災情報XML telegram (root <c>{http://xml.kishou.go.jp/jmaxml1/}Report</c>) into a <see cref="HazardEvent"/>.
/// Titles the hub does not interpret still become events (Interpreted false) with series, lifecycle, status, texts and time.
/// Throws only <see cref="FeedRejectedException"/>.
/// </summary>
internal static class JmaParser
{
    private static readonly XNamespace Jmx = JmaNames.Jmx;
    private static readonly XNamespace Ib = JmaNames.Ib;

    public static HazardEvent Parse(XDocument report)
    {
        try
        {
            return ParseCore(report);
        }
        catch (FeedRejectedException)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Untrusted input: whatever slipped past the checks below must still surface as a rejection, never a crash.
            throw new FeedRejectedException(CoreErrorCodes.FeedInvalid, "The JMA telegram could not be read: " + ex.Message, ex);
        }
    }

    private static HazardEvent ParseCore(XDocument report)
    {
        var root = report?.Root;
        if (root is null || root.Name != JmaNames.Report)
        {
            throw new FeedRejectedException(CoreErrorCodes.FeedUnrecognized, "Not a JMA Report (root must be {http://xml.kishou.go.jp/jmaxml1/}Report).");
        }

        var control = root.Element(Jmx + "Control") ?? throw Invalid("Report has no Control.");
        var head = root.Element(Ib + "Head") ?? throw Invalid("Report has no Head.");

        var controlTitle = Text(control.Element(Jmx + "Title")) ?? throw Invalid("Control/Title is missing.");
        var dateTime = ParseTime(Text(control.Element(Jmx + "DateTime"))) ?? throw Invalid("Control/DateTime is missing or not a time.");
        var statusText = Text(control.Element(Jmx + "Status")) ?? throw Invalid("Control/Status is missing.");
        var operational = statusText switch
        {
            "通常" => Operational.Real,
            "訓練" => Operational.Exercise,
            "試験" => Operational.Test,
            _ => throw Invalid($"Control/Status '{statusText}' is not 通常, 訓練 or 試験."),
        };
        var office = Text(control.Element(Jmx + "EditorialOffice")) ?? "";

        var infoType = Text(head.Element(Ib + "InfoType")) ?? throw Invalid("Head/InfoType is missing.");
        if (infoType is not ("発表" or "訂正" or "取消" or "遅延"))
        {
            throw Invalid($"Head/InfoType '{infoType}' is not 発表, 訂正, 取消 or 遅延.");
        }

        var headTitle = Text(head.Element(Ib + "Title"));
        var infoKind = Text(head.Element(Ib + "InfoKind"));
        var eventId = Text(head.Element(Ib + "EventID"));
        var serial = Text(head.Element(Ib + "Serial"));
        var validUntil = ParseTime(Text(head.Element(Ib + "ValidDateTime")));
        var reportedAt = ParseTime(Text(head.Element(Ib + "ReportDateTime")));
        var revision = dateTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        var type = JmaTelegramType.Classify(controlTitle, headTitle, infoKind);
        var seriesKey = SeriesKey(type, controlTitle, office, statusText, eventId);

        var areas = new List<EventArea>();
        EarthquakeInfo? quake = null;
        var allClear = false;
        var body = root.Elements().FirstOrDefault(e => e.Name.LocalName == "Body");

        // A 取消 carries only a Body/Text: there is no state to read, the series is simply retracted.
        if (type is not null && body is not null && infoType != "取消")
        {
            switch (type.Shape)
            {
                case JmaBodyShape.Warning:
                    JmaWarnings.Read(type, body, areas);
                    allClear = JmaWarnings.IsAllClear(areas, head);
                    break;
                case JmaBodyShape.Flood:
                    JmaWarnings.ReadFlood(head, body, areas);
                    allClear = areas.Count > 0 && areas.All(a => a.Status == "解除");
                    break;
                case JmaBodyShape.Bulletin:
                    JmaWarnings.ReadBulletin(headTitle, head, body, areas);
                    break;
                case JmaBodyShape.Earthquake:
                    quake = JmaQuakes.Read(body, areas);
                    break;
                case JmaBodyShape.Tsunami:
                    JmaQuakes.ReadTsunami(body, areas);
                    quake = JmaQuakes.ReadEarthquake(body, null);
                    allClear = JmaQuakes.IsTsunamiAllClear(areas);
                    break;
            }
        }

        var lifecycle = infoType switch
        {
            "取消" => EventLifecycle.Cancel,
            "訂正" => EventLifecycle.Correction,
            _ when allClear => EventLifecycle.AllClear,
            _ => SerialLifecycle(serial, areas),
        };

        var severity = areas.Count == 0 ? EventSeverity.Info : areas.Max(a => a.Severity);
        var levels = areas.Where(a => a.AlertLevel is not null).Select(a => a.AlertLevel!.Value).ToList();
        int? alertLevel = levels.Count == 0 ? null : levels.Max();

        var text = new EventText(headTitle ?? controlTitle, BodyText(head, body), null);
        var typeCode = type?.TypeCode ?? controlTitle;
        var details = new JmaDetails(
            Text(control.Element(Jmx + "PublishingOffice")),
            eventId,
            serial,
            infoKind,
            HeadlineCodes(head, "指定河川洪水予報（河川）"),
            HeadlineCodes(head, "指定河川洪水予報（府県予報区等）"),
            type?.Category == "tornado" && TornadoWitnessed(controlTitle, headTitle, head));
        return new HazardEvent(
            FeedSource.Jma,
            "JMA:" + typeCode,
            typeCode,
            type is not null,
            seriesKey,
            revision,
            lifecycle,
            operational,
            type?.Category ?? "other",
            severity,
            alertLevel,
            areas,
            [],
            new Dictionary<string, EventText>(StringComparer.Ordinal) { ["ja"] = text },
            dateTime,
            validUntil,
            $"{typeCode} {office} {revision}",
            [],
            quake)
        {
            ReportedAt = reportedAt,
            Issuer = details.PublishingOffice,
            Jma = details,
        };
    }

    /// <summary>Code and name of every Area under <c>Headline/Information[@type]</c> (VXKO rivers and prefectures), first of each code.</summary>
    private static List<NamedCode> HeadlineCodes(XElement head, string informationType)
    {
        var list = new List<NamedCode>();
        foreach (var area in head.Element(Ib + "Headline")?.Elements(Ib + "Information")
                     .Where(i => i.Attribute("type")?.Value == informationType)
                     .Elements(Ib + "Item").Elements(Ib + "Areas").Elements(Ib + "Area") ?? [])
        {
            var code = Text(area.Element(Ib + "Code"));
            var name = Text(area.Element(Ib + "Name"));
            if (code is not null && list.TrueForAll(c => c.Code != code || c.Name != name))
            {
                list.Add(new NamedCode(code, name ?? code));
            }
        }

        return list;
    }

    /// <summary>竜巻注意情報（目撃情報付き）, or 【目撃情報あり】 in the Headline (the 2026 速報 words it so).</summary>
    private static bool TornadoWitnessed(string controlTitle, string? headTitle, XElement head) =>
        controlTitle.Contains("目撃", StringComparison.Ordinal)
        || (headTitle?.Contains("目撃", StringComparison.Ordinal) ?? false)
        || (Text(head.Element(Ib + "Headline")?.Element(Ib + "Text"))?.Contains("【目撃情報あり】", StringComparison.Ordinal) ?? false);

    private static string SeriesKey(JmaTelegramType? type, string controlTitle, string office, string status, string? eventId)
    {
        var key = $"{type?.SeriesGroup ?? controlTitle}|{office}|{status}";

        // Typhoon information (全般台風情報, 台風解析・予報情報 …) is issued per typhoon under one title: its EventID
        // (TC0910) keeps two typhoons from sharing, and superseding each other in, one series.
        if (type is null && eventId is not null && controlTitle.Contains("台風", StringComparison.Ordinal))
        {
            return key + "|" + eventId;
        }

        if (type is null || !type.UsesEventId)
        {
            return key;
        }

        // VTSE41 lists every quake it covers ("20151114055157 20151114061750"); the first one is the quake that opened
        // the series, so later telegrams that add a quake still land in (and supersede) the same series.
        var id = eventId;
        if (type.Shape == JmaBodyShape.Tsunami && id is not null)
        {
            id = id.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? id;
        }

        return key + "|" + id;
    }

    /// <summary>発表/遅延: New when Serial is empty or 1, else Update; a snapshot that only continues what was already out is an Update.</summary>
    private static EventLifecycle SerialLifecycle(string? serial, List<EventArea> areas)
    {
        if (!string.IsNullOrEmpty(serial))
        {
            return int.TryParse(serial, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 1
                ? EventLifecycle.New
                : EventLifecycle.Update;
        }

        // Warnings and tsunami telegrams never number their reports; the per-area status tells continuation apart.
        var continues = areas.Any(a => a.Status == "継続") && !areas.Any(a => a.Status == "発表");
        return continues ? EventLifecycle.Update : EventLifecycle.New;
    }

    private static string? BodyText(XElement head, XElement? body)
    {
        var parts = new List<string>();
        AddText(parts, head.Element(Ib + "Headline")?.Element(Ib + "Text"));
        if (body is not null)
        {
            var ns = body.Name.Namespace;
            AddText(parts, body.Element(ns + "Text"));
            foreach (var comment in body.Elements(ns + "Comments").Elements())
            {
                AddText(parts, comment.Element(ns + "Text") ?? (comment.HasElements ? null : comment));
            }

            // VXKO: the 主文 is the flood forecast itself; the Headline is only its one-line summary.
            foreach (var property in body.Elements(ns + "Warning").Elements(ns + "Item").Elements(ns + "Kind").Elements(ns + "Property"))
            {
                if (Text(property.Element(ns + "Type")) == "主文")
                {
                    AddText(parts, property.Element(ns + "Text"));
                }
            }
        }

        return parts.Count == 0 ? null : string.Join("\n", parts);
    }

    private static void AddText(List<string> parts, XElement? element)
    {
        var value = Text(element);
        if (value is not null && !parts.Contains(value))
        {
            parts.Add(value);
        }
    }

    internal static string? Text(XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        var value = element.Value.Trim();
        return value.Length == 0 ? null : value;
    }

    internal static DateTimeOffset? ParseTime(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : null;

    private static FeedRejectedException Invalid(string reason) => new(CoreErrorCodes.FeedInvalid, reason);
}
