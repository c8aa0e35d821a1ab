using System.Globalization;
using System.Xml.Linq;
using AlertHub.Core.Feeds.LAlert;
using NetTopologySuite.Geometries;

namespace AlertHub.Core.Feeds.Cap;

/// <summary>
/// OASIS CAP 1.1 and 1.2 alerts, bare (default namespace or a <c>cap:</c> prefix) or embedded in EDXL-DE.
/// </summary>
/// <remarks>
/// Decisions worth knowing:
/// <list type="bullet">
/// <item>SeriesKey is <c>sender,identifier</c> of the original message: for an Update/Cancel that is the referenced
/// triple with the earliest <c>sent</c> (its own sender — NOAA's tsunami centre references <c>PAAQ,…</c> under another
/// sender string), otherwise the alert's own sender and identifier.</item>
/// <item>An alert whose every info block says <c>responseType AllClear</c> or <c>urgency Past</c> is an AllClear
/// (so a USGS "Past" earthquake report is informational, not a new alert).</item>
/// <item>Texts are keyed by the primary language subtag; the first info of a language wins. An alert without info
/// (a bare Cancel) still gets one text: its identifier as headline, its note as body.</item>
/// <item>Unparseable polygons and circles reject the alert (<c>feeds.invalid</c>) rather than silently dropping
/// the area it targets.</item>
/// </list>
/// </remarks>
internal static class CapParser
{
    private static readonly string[] Namespaces = ["urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1"];
    private static readonly GeometryFactory Geometry = new(new PrecisionModel(), 4326);

    public static bool IsAlert(XElement element) =>
        element.Name.LocalName == "alert" && Namespaces.Contains(element.Name.NamespaceName);

    public static HazardEvent Parse(XElement alert)
    {
        var ns = alert.Name.Namespace;
        string? Text(XElement parent, string name) => parent.Element(ns + name).Text();

        var identifier = Text(alert, "identifier") ?? throw Invalid("identifier is missing.");
        var sender = Text(alert, "sender") ?? throw Invalid("sender is missing.");
        var sent = FeedXml.Time(Text(alert, "sent"), TimeSpan.Zero) ?? throw Invalid("sent is missing or not a time.");
        var operational = Text(alert, "status") switch
        {
            "Actual" => Operational.Real,
            "Exercise" => Operational.Exercise,
            "System" or "Test" or "Draft" => Operational.Test,
            var other => throw Invalid($"status '{Clip(other)}' is not Actual, Exercise, System, Test or Draft."),
        };
        var lifecycle = Text(alert, "msgType") switch
        {
            "Alert" => EventLifecycle.New,
            "Update" => EventLifecycle.Update,
            "Cancel" => EventLifecycle.Cancel,
            var other => throw Invalid($"msgType '{Clip(other)}' is not an alert (Alert, Update or Cancel)."),
        };

        var references = (Text(alert, "references") ?? "")
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
        var infos = alert.Elements(ns + "info").ToList();

        if (lifecycle != EventLifecycle.Cancel && infos.Count > 0 && infos.All(info =>
                Text(info, "urgency") == "Past" || info.Elements(ns + "responseType").Any(r => r.Text() == "AllClear")))
        {
            lifecycle = EventLifecycle.AllClear;
        }

        var texts = new Dictionary<string, EventText>();
        var areas = new List<EventArea>();
        var areaIndex = new Dictionary<(string, string), int>();
        var shapes = new List<EventShape>();
        var shapeKeys = new HashSet<string>();
        var severity = EventSeverity.Info;
        DateTimeOffset? validUntil = null;
        string? mainLanguage = null;

        foreach (var info in infos)
        {
            var language = FeedXml.LanguageKey(Text(info, "language"), "en");
            mainLanguage ??= language;
            var eventName = Text(info, "event");
            texts.TryAdd(language, new EventText(Text(info, "headline") ?? eventName ?? identifier, Text(info, "description"), Text(info, "instruction")));

            var infoSeverity = Severity(Text(info, "severity"));
            severity = infoSeverity > severity ? infoSeverity : severity;
            var expires = FeedXml.Time(Text(info, "expires"), TimeSpan.Zero);
            validUntil = expires is { } e && (validUntil is null || e > validUntil) ? e : validUntil;

            // Event codes are language-neutral, so the same area in en and fr merges into one kind.
            IReadOnlyList<string> kinds = info.Elements(ns + "eventCode").Select(c => c.Element(ns + "value").Text()).OfType<string>().Distinct().ToList() is { Count: > 0 } codes
                ? codes
                : eventName is null ? [] : [eventName];

            foreach (var area in info.Elements(ns + "area"))
            {
                var description = Text(area, "areaDesc");
                var geocodes = area.Elements(ns + "geocode").ToList();
                foreach (var geocode in geocodes)
                {
                    var value = Text(geocode, "value");
                    if (value is null)
                    {
                        continue;
                    }

                    var valueName = Text(geocode, "valueName") ?? "";
                    var municipality = LooksJapaneseMunicipal(valueName) ? JisCodes.Municipality(value) : null;
                    AddArea(new EventArea("cap:" + valueName, value, municipality, description, null, kinds, infoSeverity));
                }

                if (geocodes.Count == 0 && description is not null && language == mainLanguage)
                {
                    AddArea(new EventArea("name", description, null, description, null, kinds, infoSeverity));
                }

                foreach (var polygon in area.Elements(ns + "polygon").Select(p => p.Text()).OfType<string>())
                {
                    AddShape(Polygon(polygon));
                }

                foreach (var circle in area.Elements(ns + "circle").Select(c => c.Text()).OfType<string>())
                {
                    AddShape(Circle(circle));
                }
            }
        }

        if (texts.Count == 0)
        {
            texts["en"] = new EventText(identifier, Text(alert, "note"), null);
        }

        return new HazardEvent(
            Source: FeedSource.Cap,
            Family: "CAP",
            TypeCode: "CAP",
            Interpreted: true,
            SeriesKey: SeriesKey(sender, identifier, references),
            Revision: sent.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            Lifecycle: lifecycle,
            Operational: operational,
            Category: "cap",
            Severity: severity,
            AlertLevel: null,
            Areas: areas,
            Shapes: shapes,
            Texts: texts,
            IssuedAt: sent.ToUniversalTime(),
            ValidUntil: validUntil?.ToUniversalTime(),
            SourceReference: identifier,
            References: references);

        void AddArea(EventArea area)
        {
            if (areaIndex.TryGetValue((area.Scheme, area.Code), out var at))
            {
                var existing = areas[at];
                areas[at] = existing with
                {
                    Severity = area.Severity > existing.Severity ? area.Severity : existing.Severity,
                    Kinds = existing.Kinds.Union(area.Kinds).ToList(),
                };
                return;
            }

            areaIndex[(area.Scheme, area.Code)] = areas.Count;
            areas.Add(area);
        }

        void AddShape(EventShape shape)
        {
            var key = shape.Polygon is { } p ? p.ToText() : FormattableString.Invariant($"{shape.Lat},{shape.Lon},{shape.RadiusMeters}");
            if (shapeKeys.Add(key))
            {
                shapes.Add(shape);
            }
        }
    }

    /// <summary>The original message of a chain: the referenced <c>sender,identifier,sent</c> with the earliest sent.</summary>
    private static string SeriesKey(string sender, string identifier, List<string> references)
    {
        (string Sender, string Identifier, DateTimeOffset? Sent)? first = null;
        foreach (var reference in references)
        {
            var parts = reference.Split(',');
            if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                continue;
            }

            var at = FeedXml.Time(parts[2], TimeSpan.Zero);
            if (first is null || (at is not null && (first.Value.Sent is null || at < first.Value.Sent)))
            {
                first = (parts[0], parts[1], at);
            }
        }

        return first is { } original ? $"{original.Sender},{original.Identifier}" : $"{sender},{identifier}";
    }

    private static EventSeverity Severity(string? severity) => severity switch
    {
        "Extreme" => EventSeverity.Extreme,
        "Severe" => EventSeverity.Severe,
        "Moderate" => EventSeverity.Moderate,
        "Minor" => EventSeverity.Minor,
        _ => EventSeverity.Info,
    };

    private static bool LooksJapaneseMunicipal(string valueName) =>
        valueName.Contains("jis", StringComparison.OrdinalIgnoreCase)
        || valueName.Contains("municipal", StringComparison.OrdinalIgnoreCase)
        || valueName.Contains("lgcode", StringComparison.OrdinalIgnoreCase)
        || valueName.Contains("市区町村", StringComparison.Ordinal)
        || valueName.Contains("団体コード", StringComparison.Ordinal);

    /// <summary>CAP polygon: whitespace-separated <c>lat,lon</c> pairs (latitude first), closed.</summary>
    private static EventShape Polygon(string text)
    {
        var coordinates = new List<Coordinate>();
        foreach (var pair in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split(',');
            if (parts.Length != 2 || !TryNumber(parts[0], -90, 90, out var lat) || !TryNumber(parts[1], -180, 180, out var lon))
            {
                throw Invalid($"polygon point '{Clip(pair)}' is not 'lat,lon'.");
            }

            coordinates.Add(new Coordinate(lon, lat));
        }

        if (coordinates.Count > 0 && !coordinates[0].Equals2D(coordinates[^1]))
        {
            coordinates.Add(coordinates[0].Copy());
        }

        if (coordinates.Count < 4)
        {
            throw Invalid("a polygon needs at least three distinct points.");
        }

        return new EventShape(Geometry.CreatePolygon(coordinates.ToArray()), null, null, null);
    }

    /// <summary>CAP circle: <c>lat,lon radius</c> with the radius in kilometres.</summary>
    private static EventShape Circle(string text)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var center = parts.Length == 2 ? parts[0].Split(',') : [];
        if (center.Length != 2
            || !TryNumber(center[0], -90, 90, out var lat)
            || !TryNumber(center[1], -180, 180, out var lon)
            || !TryNumber(parts[1], 0, 20_000, out var radiusKm))
        {
            throw Invalid($"circle '{Clip(text)}' is not 'lat,lon radius'.");
        }

        return new EventShape(null, lat, lon, radiusKm * 1000);
    }

    private static bool TryNumber(string text, double min, double max, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value) && value >= min && value <= max;

    private static string Clip(string? value) => value is null ? "(missing)" : value.Length <= 40 ? value : value[..40];

    private static FeedRejectedException Invalid(string reason) => new("feeds.invalid", "CAP: " + reason);
}
