using System.Globalization;
using System.Xml.Linq;

namespace AlertHub.Core.Feeds.LAlert;

/// <summary>
/// L-Alert (公共情報コモンズ): an EDXL-DE 1.0 distribution whose contentObject embeds a PCXML Report (v3
/// <c>…/pcxml1/3</c>, v4 <c>…/pcxml1/4</c>). Elements are matched by local name under known parents, because
/// senders use arbitrary prefixes and every PCXML generation renames its namespaces.
/// </summary>
/// <remarks>
/// Decisions worth knowing:
/// <list type="bullet">
/// <item>Revision is <c>commons:documentRevision</c> as written, zero-padded to six digits. It is never repaired: the
/// FMMC/LGDIS sample <c>adsoltestbest.xml</c> is an Update with revision 0 (the same as a first edition), and
/// ingest, which drops revisions ≤ the stored one like the receivers in the wild, should see exactly that.</item>
/// <item>Lifecycle comes from <c>distributionType</c> (absent → New), an Errata block on an Update makes it a
/// Correction, and when every Detail is 解除 (or every shelter 閉鎖) a non-Cancel document is an AllClear.</item>
/// <item>Circles are <c>lat,lon,radius</c>; the element is <c>edxlde:circle</c>, and EDXL-DE 1.0 gives circle radii in
/// kilometres, so the radius is read as km (every real sample writes 0, a point).</item>
/// <item>Severity comes from the Details' Sort (新旧 both): 緊急安全確保 → Extreme/5, 避難指示・避難勧告 → Severe/4,
/// 高齢者等避難・避難準備 → Moderate/3, an unknown Sort → Moderate without a level, 解除 → Info.
/// A document without Details (Head only, like the FMMC sample) is graded from its Head/Title and Headline/Text
/// the same way (「避難指示 発令」 → Severe/4 on every area it names; 「… 解除」 without 発令 → an all-clear);
/// <c>commons:severity</c> (CAP vocabulary) is only a fallback when neither names an order.</item>
/// <item>Areas come from the envelope's targetArea, from <c>Head/Headline/Areas</c> (some senders put their only code
/// there) and from the Details.</item>
/// </list>
/// </remarks>
internal static class LAlertParser
{
    private const string PcxmlPrefix = "http://xml.publiccommons.ne.jp/pcxml1/";
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>A PCXML Report root: <c>http://xml.publiccommons.ne.jp/pcxml1/&lt;generation&gt;</c>.</summary>
    public static bool IsPcxmlReport(XElement element)
    {
        var ns = element.Name.NamespaceName;
        return element.Name.LocalName == "Report"
            && ns.StartsWith(PcxmlPrefix, StringComparison.Ordinal)
            && ns.Length > PcxmlPrefix.Length
            && ns.AsSpan(PcxmlPrefix.Length).TrimEnd('/').ToString().All(char.IsAsciiDigit);
    }

    /// <summary>An EDXL-DE distribution that speaks 公共情報コモンズ even without embedded PCXML.</summary>
    public static bool IsCommonsEnvelope(XElement distribution) =>
        distribution.Children("contentObject").Any(c => c.Child("documentID") is not null);

    /// <summary>The envelope's distributionStatus, or null when missing or unknown.</summary>
    public static Operational? EnvelopeOperational(XElement distribution) => OperationalOf(distribution.ChildText("distributionStatus"));

    public static HazardEvent Parse(XElement distribution, XElement? report)
    {
        var content = report?.Ancestors().FirstOrDefault(a => a.Name.LocalName == "contentObject") ?? distribution.Child("contentObject");
        var control = report.Child("Control");
        var head = report.Child("Head");

        var documentId = content.ChildText("documentID") ?? head.ChildText("documentID")
            ?? throw Invalid("commons:documentID is missing.");
        var revision = Revision(content.ChildText("documentRevision") ?? head.ChildText("documentRevision"));
        var category = Clip(content.ChildText("category") ?? control.ChildText("Title") ?? throw Invalid("commons:category is missing."), 64);
        var operational = Status(distribution.ChildText("distributionStatus"), control.ChildText("distributionStatus"));
        var lifecycle = Lifecycle(distribution.ChildText("distributionType") ?? head.ChildText("distributionType"), control.Child("Errata") is not null);

        var issuedAt = FeedXml.Time(head.ChildText("ReportDateTime"), Jst)
            ?? FeedXml.Time(head.ChildText("CreateDateTime"), Jst)
            ?? FeedXml.Time(distribution.ChildText("dateTimeSent"), Jst)
            ?? throw Invalid("No ReportDateTime, CreateDateTime or dateTimeSent.");
        var validUntil = FeedXml.Time(head.ChildText("ValidDateTime"), Jst);

        var builder = new Builder();
        foreach (var target in distribution.Children("targetArea").Concat(content.Children("targetArea")))
        {
            builder.AddLocation(target, null, [], EventSeverity.Info, null);
        }

        foreach (var area in head.Child("Headline").Child("Areas").Children("Area"))
        {
            builder.AddLocation(area, null, [], EventSeverity.Info, null);
        }

        builder.DocumentMunicipality = builder.SingleMunicipality();

        var body = report?.Elements().FirstOrDefault(e => e.Name.LocalName == category);
        var outcome = category switch
        {
            "EvacuationOrder" => ReadEvacuation(body, builder),
            "Shelter" => ReadShelter(body, builder),
            _ => new BodyOutcome(false, "other", null, null, false),
        };

        if (category == "EvacuationOrder" && body.Children("Detail").FirstOrDefault() is null)
        {
            outcome = ReadEvacuationHead(head.ChildText("Title"), head.Child("Headline").ChildText("Text"), builder) ?? outcome;
        }

        if (lifecycle != EventLifecycle.Cancel && outcome.AllLifted)
        {
            lifecycle = EventLifecycle.AllClear;
        }

        var severity = outcome.Severity ?? CapSeverity(content.ChildText("severity")) ?? EventSeverity.Info;
        var language = FeedXml.LanguageKey(distribution.ChildText("language"), "ja");
        var description = content.ChildText("contentDescription");
        var headline = head.ChildText("Title") ?? description ?? category;
        var text = head.Child("Headline").ChildText("Text") ?? (description != headline ? description : null);

        var references = new List<string>();
        if (int.TryParse(content.ChildText("previousDocumentRevision") ?? head.ChildText("previousDocumentRevision"),
                NumberStyles.None, CultureInfo.InvariantCulture, out var previous) && previous <= 999_999)
        {
            references.Add($"{documentId},{previous:D6}");
        }

        return new HazardEvent(
            Source: FeedSource.LAlert,
            Family: "LALERT:" + category,
            TypeCode: category,
            Interpreted: outcome.Interpreted,
            SeriesKey: documentId,
            Revision: revision,
            Lifecycle: lifecycle,
            Operational: operational,
            Category: outcome.Category,
            Severity: severity,
            AlertLevel: outcome.AlertLevel,
            Areas: builder.Areas,
            Shapes: builder.Shapes,
            Texts: new Dictionary<string, EventText> { [language] = new(headline, text, null) },
            IssuedAt: issuedAt.ToUniversalTime(),
            ValidUntil: validUntil?.ToUniversalTime(),
            SourceReference: documentId,
            References: references)
        {
            ReportedAt = FeedXml.Time(head.ChildText("ReportDateTime"), Jst),
            Issuer = control.Child("PublishingOffice").Child("OfficeInfo").ChildText("OrganizationName")
                ?? control.Child("EditorialOffice").ChildText("OrganizationName")
                ?? content.ChildText("publishingOfficeName"),
        };
    }

    private sealed record BodyOutcome(bool Interpreted, string Category, EventSeverity? Severity, int? AlertLevel, bool AllLifted);

    private static BodyOutcome ReadEvacuation(XElement? body, Builder builder)
    {
        var details = body.Children("Detail").ToList();
        EventSeverity? severity = null;
        int? level = null;
        var lifted = 0;
        foreach (var detail in details)
        {
            var sort = detail.ChildText("Sort");
            var issueOrLift = detail.ChildText("IssueOrLift");
            var isLift = issueOrLift?.Contains("解除", StringComparison.Ordinal) == true;
            var (detailSeverity, detailLevel) = isLift ? (EventSeverity.Info, null) : Classify(sort);
            lifted += isLift ? 1 : 0;
            severity = severity is null || detailSeverity > severity ? detailSeverity : severity;
            level = detailLevel > (level ?? 0) ? detailLevel : level;

            IReadOnlyList<string> kinds = sort is null ? [] : [sort];
            foreach (var area in detail.Child("Areas").Children("Area"))
            {
                builder.AddLocation(area.Child("Location"), issueOrLift, kinds, detailSeverity, detailLevel, district: true);
            }
        }

        return new BodyOutcome(true, "evacuation", severity, level, details.Count > 0 && lifted == details.Count);
    }

    /// <summary>
    /// A Head-only EvacuationOrder: the Title (「加古川市: 避難勧告・指示情報　発令」) and Headline text name the order.
    /// The strongest order named decides; 解除 without 発令 lifts it. Null when neither names an order.
    /// </summary>
    private static BodyOutcome? ReadEvacuationHead(string? title, string? headline, Builder builder)
    {
        var text = $"{title} {headline}";
        string? sort = null;
        foreach (var candidate in (string[])["緊急安全確保", "避難指示", "避難勧告", "高齢者等避難", "避難準備"])
        {
            if (text.Contains(candidate, StringComparison.Ordinal) && (sort is null || Classify(candidate).Level > Classify(sort).Level))
            {
                sort = candidate;
            }
        }

        if (sort is null)
        {
            return null;
        }

        var lifted = text.Contains("解除", StringComparison.Ordinal) && !text.Contains("発令", StringComparison.Ordinal);
        var (severity, level) = lifted ? (EventSeverity.Info, (int?)null) : Classify(sort);
        builder.Grade(lifted ? "解除" : "発令", lifted ? [] : [sort], severity, level);
        return new BodyOutcome(true, "evacuation", severity, level, lifted);
    }

    // Shelter bodies (LGDIS shelter.rb): informational, one area per shelter; every shelter 閉鎖 is an all-clear.
    private static BodyOutcome ReadShelter(XElement? body, Builder builder)
    {
        var informations = body.Child("Informations").Children("Information").ToList();
        var closed = 0;
        foreach (var information in informations)
        {
            var location = information.Child("Location");
            var name = location.ChildText("areaName");
            var address = location.ChildText("Address");
            var sort = information.ChildText("Sort");
            closed += sort == "閉鎖" ? 1 : 0;
            builder.AddCircle(location.ChildText("circle"));
            var code = address ?? name;
            if (code is null)
            {
                continue;
            }

            var capacity = information.ChildText("Capacity");
            var headCount = information.Child("NumberOf").ChildText("HeadCount");
            var kinds = new[] { information.ChildText("Type"), information.ChildText("Status"), capacity is null ? null : "定員" + capacity,
                    headCount is null ? null : "避難者数" + headCount }
                .OfType<string>().ToList();
            var municipality = JisCodes.Municipality(location.ChildText("jisX0402")) ?? builder.DocumentMunicipality;
            builder.Add(new EventArea("name", code, municipality, name ?? address, sort, kinds, EventSeverity.Info));
        }

        return new BodyOutcome(true, "shelter", EventSeverity.Info, null, informations.Count > 0 && closed == informations.Count);
    }

    private static (EventSeverity Severity, int? Level) Classify(string? sort)
    {
        if (sort is null)
        {
            return (EventSeverity.Moderate, null);
        }

        if (sort.Contains("緊急安全確保", StringComparison.Ordinal))
        {
            return (EventSeverity.Extreme, 5);
        }

        if (sort.Contains("避難指示", StringComparison.Ordinal) || sort.Contains("避難勧告", StringComparison.Ordinal))
        {
            return (EventSeverity.Severe, 4);
        }

        if (sort.Contains("高齢者等避難", StringComparison.Ordinal) || sort.Contains("避難準備", StringComparison.Ordinal))
        {
            return (EventSeverity.Moderate, 3);
        }

        // Something is being ordered that we do not know by name: loud enough to be looked at, no 警戒レベル claimed.
        return (EventSeverity.Moderate, null);
    }

    private static string Revision(string? value)
    {
        if (value is null)
        {
            return "000000";
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision <= 999_999
            ? revision.ToString("D6", CultureInfo.InvariantCulture)
            : throw Invalid($"commons:documentRevision '{Clip(value, 20)}' is not a number up to 999999.");
    }

    private static Operational Status(string? envelope, string? control)
    {
        if (envelope is null && control is null)
        {
            throw Invalid("distributionStatus is missing.");
        }

        var a = envelope is null ? (Operational?)null : OperationalOf(envelope) ?? throw Invalid($"Unknown distributionStatus '{Clip(envelope, 20)}'.");
        var b = control is null ? (Operational?)null : OperationalOf(control) ?? throw Invalid($"Unknown distributionStatus '{Clip(control, 20)}'.");
        return FeedXml.Stricter(a ?? b!.Value, b ?? a!.Value);
    }

    private static Operational? OperationalOf(string? status) => status switch
    {
        "Actual" => Operational.Real,
        "Exercise" => Operational.Exercise,
        "System" or "Test" => Operational.Test,
        _ => null,
    };

    private static EventLifecycle Lifecycle(string? distributionType, bool errata) => distributionType switch
    {
        null or "Report" => EventLifecycle.New,
        "Update" => errata ? EventLifecycle.Correction : EventLifecycle.Update,
        "Cancel" => EventLifecycle.Cancel,
        _ => throw Invalid($"distributionType '{Clip(distributionType, 20)}' is not Report, Update or Cancel."),
    };

    private static EventSeverity? CapSeverity(string? severity) => severity switch
    {
        "Extreme" => EventSeverity.Extreme,
        "Severe" => EventSeverity.Severe,
        "Moderate" => EventSeverity.Moderate,
        "Minor" => EventSeverity.Minor,
        "Unknown" => EventSeverity.Info,
        _ => null,
    };

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];

    private static FeedRejectedException Invalid(string reason) => new(CoreErrorCodes.FeedInvalid, "L-Alert: " + reason);

    /// <summary>Collects areas (deduplicated by scheme + code) and circles (deduplicated by value).</summary>
    private sealed class Builder
    {
        private readonly HashSet<(string, string)> seenAreas = [];
        private readonly HashSet<(double, double, double)> seenCircles = [];

        public List<EventArea> Areas { get; } = [];

        public List<EventShape> Shapes { get; } = [];

        /// <summary>The one municipality the envelope targets; name-only districts inside the document belong to it.</summary>
        public string? DocumentMunicipality { get; set; }

        public string? SingleMunicipality()
        {
            var municipalities = Areas.Select(a => a.Municipality).OfType<string>().Distinct().ToList();
            return municipalities.Count == 1 ? municipalities[0] : null;
        }

        /// <summary>Gives every area collected so far the document's one status, kinds and grade (Head-only documents).</summary>
        public void Grade(string status, IReadOnlyList<string> kinds, EventSeverity severity, int? level)
        {
            for (var i = 0; i < Areas.Count; i++)
            {
                Areas[i] = Areas[i] with { Status = status, Kinds = kinds, Severity = severity, AlertLevel = level };
            }
        }

        public void Add(EventArea area)
        {
            if (seenAreas.Add((area.Scheme, area.Code)))
            {
                Areas.Add(area);
                return;
            }

            // The envelope names the municipality without a status; a Detail ordering the whole municipality grades it.
            var i = Areas.FindIndex(a => a.Scheme == area.Scheme && a.Code == area.Code);
            if (Areas[i].Status is null && area.Status is not null)
            {
                Areas[i] = area with { Name = Areas[i].Name ?? area.Name };
            }
        }

        /// <param name="district">A Detail's 地区: a name with its municipality's jisX0402 (no town code) is that named 地区, not the
        /// whole municipality — unless the name is the municipality's own (as the envelope names it).</param>
        public void AddLocation(XElement? location, string? status, IReadOnlyList<string> kinds, EventSeverity severity, int? level, bool district = false)
        {
            if (location is null)
            {
                return;
            }

            AddCircle(location.ChildText("circle"));
            var name = location.ChildText("areaName");
            var jis = location.ChildText("jisX0402");
            var town = location.ChildText("ooAzaTyouTyouMokuCode");
            var municipality = JisCodes.Municipality(jis) ?? JisCodes.Municipality(town);
            if (town is not null)
            {
                Add(new EventArea("town", town, municipality ?? DocumentMunicipality, name, status, kinds, severity, level));
            }
            else if (district && jis is not null && name is not null && !NamesMunicipality(jis, name))
            {
                Add(new EventArea("name", name, municipality ?? DocumentMunicipality, name, status, kinds, severity, level));
            }
            else if (jis is not null)
            {
                Add(new EventArea(jis.Length == 5 ? "jis5" : "jis6", jis, municipality, name, status, kinds, severity, level));
            }
            else if (name is not null)
            {
                Add(new EventArea("name", name, DocumentMunicipality, name, status, kinds, severity, level));
            }
        }

        private bool NamesMunicipality(string jis, string name) =>
            Areas.Any(a => a.Code == jis && a.Name is not null && (a.Name.EndsWith(name, StringComparison.Ordinal) || name.EndsWith(a.Name, StringComparison.Ordinal)));

        public void AddCircle(string? circle)
        {
            if (circle is null)
            {
                return;
            }

            var parts = circle.Split([',', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is < 2 or > 3
                || !TryNumber(parts[0], -90, 90, out var lat)
                || !TryNumber(parts[1], -180, 180, out var lon))
            {
                throw Invalid($"circle '{Clip(circle, 60)}' is not 'lat,lon,radius'.");
            }

            var radiusKm = 0d;
            if (parts.Length == 3 && !TryNumber(parts[2], 0, 20_000, out radiusKm))
            {
                throw Invalid($"circle radius in '{Clip(circle, 60)}' is not a distance.");
            }

            if (seenCircles.Add((lat, lon, radiusKm)))
            {
                Shapes.Add(new EventShape(null, lat, lon, radiusKm * 1000));
            }
        }

        private static bool TryNumber(string text, double min, double max, out double value) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value) && value >= min && value <= max;
    }
}
