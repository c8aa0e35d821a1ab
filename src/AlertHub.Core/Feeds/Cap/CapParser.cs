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
/// <item>Only <c>responseType AllClear</c> on every info block (or a Cancel) ends a series. <c>urgency Past</c> alone
/// does not: an Update with urgency Past is a revision (a revised magnitude), not an all-clear.</item>
/// <item>Texts are keyed by each info block's language tag as given (<c>en-CA</c> stays <c>en-CA</c>; CAP's default
/// <c>en-US</c> when absent); <see cref="HazardEvent.TextIn"/> falls back to the primary language (<c>en</c>). The
/// first info of a tag wins. An alert without info (a bare Cancel) still gets one text: its identifier as
/// headline, its note as body.</item>
/// <item>Category is the first info's first CAP category as written (Geo, Met, Safety …), so rules can match
/// <c>category:Geo</c>; every info block is kept in <see cref="HazardEvent.CapInfos"/> (categories, eventCodes,
/// parameters, areaDesc per language and which shapes each area has). A Geo alert's Magnitude / Depth / EventTime
/// parameters (USGS style) also fill <see cref="HazardEvent.Earthquake"/>.</item>
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
                info.Elements(ns + "responseType").Any(r => r.Text() == "AllClear")))
        {
            lifecycle = EventLifecycle.AllClear;
        }

        var texts = new Dictionary<string, EventText>(StringComparer.OrdinalIgnoreCase);
        var areas = new List<EventArea>();
        var areaIndex = new Dictionary<(string, string), int>();
        var shapes = new List<EventShape>();
        var shapeKeys = new Dictionary<string, int>();
        var capInfos = new List<CapInfo>();
        var severity = EventSeverity.Info;
        DateTimeOffset? validUntil = null;
        string? mainLanguage = null;

        foreach (var info in infos)
        {
            var language = LanguageTag(Text(info, "language"));
            mainLanguage ??= language;
            var eventName = Text(info, "event");
            texts.TryAdd(language, new EventText(Text(info, "headline") ?? eventName ?? identifier, Text(info, "description"), Text(info, "instruction")));
            var capAreas = new List<CapArea>();

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
                var keptGeocodes = new List<CapValue>();
                foreach (var geocode in geocodes)
                {
                    var value = Text(geocode, "value");
                    if (value is null)
                    {
                        continue;
                    }

                    var valueName = Text(geocode, "valueName") ?? "";
                    keptGeocodes.Add(new CapValue(valueName, value));
                    var municipality = LooksJapaneseMunicipal(valueName) ? JisCodes.Municipality(value) : null;
                    AddArea(new EventArea("cap:" + valueName, value, municipality, description, null, kinds, infoSeverity));
                }

                if (geocodes.Count == 0 && description is not null && language == mainLanguage)
                {
                    AddArea(new EventArea("name", description, null, description, null, kinds, infoSeverity));
                }

                var areaShapes = new List<int>();
                foreach (var polygon in area.Elements(ns + "polygon").Select(p => p.Text()).OfType<string>())
                {
                    areaShapes.Add(AddShape(Polygon(polygon)));
                }

                foreach (var circle in area.Elements(ns + "circle").Select(c => c.Text()).OfType<string>())
                {
                    areaShapes.Add(AddShape(Circle(circle)));
                }

                capAreas.Add(new CapArea(description, keptGeocodes, areaShapes));
            }

            capInfos.Add(new CapInfo(
                language,
                [.. info.Elements(ns + "category").Select(c => c.Text()).OfType<string>()],
                eventName,
                [.. info.Elements(ns + "responseType").Select(r => r.Text()).OfType<string>()],
                Text(info, "urgency"),
                Text(info, "severity"),
                Text(info, "certainty"),
                Values(info, "eventCode"),
                Values(info, "parameter"),
                capAreas,
                Text(info, "senderName")));
        }

        if (texts.Count == 0)
        {
            texts[DefaultLanguage] = new EventText(identifier, Text(alert, "note"), null);
        }

        var category = capInfos.SelectMany(i => i.Categories).FirstOrDefault() ?? "cap";

        return new HazardEvent(
            Source: FeedSource.Cap,
            Family: "CAP",
            TypeCode: "CAP",
            Interpreted: true,
            SeriesKey: SeriesKey(sender, identifier, references),
            Revision: sent.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            Lifecycle: lifecycle,
            Operational: operational,
            Category: category,
            Severity: severity,
            AlertLevel: null,
            Areas: areas,
            Shapes: shapes,
            Texts: texts,
            IssuedAt: sent.ToUniversalTime(),
            ValidUntil: validUntil?.ToUniversalTime(),
            SourceReference: identifier,
            References: references,
            Earthquake: Earthquake(capInfos, shapes))
        {
            CapInfos = capInfos,
            Issuer = capInfos.Select(i => i.SenderName).FirstOrDefault(n => n is not null) ?? sender,
        };

        List<CapValue> Values(XElement info, string name) =>
            [.. info.Elements(ns + name)
                .Select(v => (Name: Text(v, "valueName"), Value: Text(v, "value")))
                .Where(v => v.Value is not null)
                .Select(v => new CapValue(v.Name ?? "", v.Value!))];

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

        // The same polygon in the en and fr blocks is one shape; each block's area still says it is its own.
        int AddShape(EventShape shape)
        {
            var key = shape.Polygon is { } p ? p.ToText() : FormattableString.Invariant($"{shape.Lat},{shape.Lon},{shape.RadiusMeters}");
            if (!shapeKeys.TryGetValue(key, out var index))
            {
                index = shapes.Count;
                shapeKeys[key] = index;
                shapes.Add(shape);
            }

            return index;
        }
    }

    /// <summary>CAP 1.2 §3.2.2: without <c>language</c> the block is <c>en-US</c>.</summary>
    private const string DefaultLanguage = "en-US";

    /// <summary>The tag as given when it is a well-formed language tag; CAP's default when absent; "und" when garbage.</summary>
    private static string LanguageTag(string? tag)
    {
        if (tag is null)
        {
            return DefaultLanguage;
        }

        return tag.Length <= 35 && tag.Split('-') is var parts && parts.All(p => p.Length is >= 1 and <= 8 && p.All(char.IsAsciiLetterOrDigit))
            && parts[0].All(char.IsAsciiLetter)
            ? tag
            : "und";
    }

    /// <summary>
    /// Earthquake facts from a Geo alert's parameters, USGS style (Magnitude 6.3, Depth "38.7 km (24.0 miles)",
    /// EventTime), with the first circle's centre as the epicentre. Null when there is no magnitude or depth.
    /// </summary>
    private static EarthquakeInfo? Earthquake(List<CapInfo> infos, List<EventShape> shapes)
    {
        var geo = infos.FirstOrDefault(i => i.Categories.Contains("Geo") && i.Parameters.Count > 0);
        if (geo is null)
        {
            return null;
        }

        string? Parameter(string name) => geo.Parameters.FirstOrDefault(p => p.ValueName.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;
        double? Number(string? text)
        {
            var digits = text?.Trim().Split(' ', 2)[0];
            return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n : null;
        }

        var magnitude = Number(Parameter("Magnitude"));
        var depthText = Parameter("Depth");
        var depth = depthText is not null && depthText.Contains("km", StringComparison.OrdinalIgnoreCase) ? Number(depthText) : null;
        if (magnitude is null && depth is null)
        {
            return null;
        }

        var centre = geo.Areas.SelectMany(a => a.Shapes).Select(i => shapes[i]).FirstOrDefault(s => s.Polygon is null);
        return new EarthquakeInfo(FeedXml.Time(Parameter("EventTime"), TimeSpan.Zero), geo.Areas.Count > 0 ? geo.Areas[0].AreaDesc : null, centre?.Lat, centre?.Lon,
            depth, magnitude, magnitude is null ? null : "M" + magnitude.Value.ToString("0.0", CultureInfo.InvariantCulture), null);
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

    private static FeedRejectedException Invalid(string reason) => new(CoreErrorCodes.FeedInvalid, "CAP: " + reason);
}
