using System.Globalization;
using System.Text;
using System.Xml;
using AlertHub.Core.Cap;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Features.Rules.Templates;
using NetTopologySuite.Geometries;
using NetTopologySuite.Simplify;

namespace AlertHub.Server.Features.Delivery.Channels.CapFeed;

/// <summary>
/// Writes an alert version as a CAP 1.2 document: one <c>info</c> per language, areas as polygons, circles and geocodes.
/// </summary>
/// <remarks>
/// Decisions worth knowing:
/// <list type="bullet">
/// <item>The en block speaks English all through: its <c>event</c> (地震 → Earthquake) and its <c>areaDesc</c> (横手市 →
/// Yokote City) come from the hub's word and place-name tables; a name nobody knows stays Japanese.</item>
/// <item>An all-clear says so three ways: <c>responseType AllClear</c>, <c>urgency Past</c> and <c>severity Minor</c>
/// (the danger it names is over), as CAP consumers that sort by urgency and severity expect.</item>
/// <item>A Cancel carries <c>expires</c> = sent + <see cref="CapFeedOptions.KeepCancelledFor"/>, the time it stays in the
/// feed; every other version carries the alert's own expires (rule-issued alerts always have one).</item>
/// <item>A municipality is given twice: <c>JISX0402</c> 5 digits (05203) and <c>jisX0402</c> 6 digits with the check
/// digit (052035), the form L-Alert writes.</item>
/// </list>
/// </remarks>
internal static class CapWriter
{
    public static string CapTime(DateTimeOffset time) => AlertDocument.CapTime(time);

    public static byte[] Write(AlertDocument alert, IReadOnlyList<(TargetShape Shape, string? Code)> shapes, CapFeedOptions options, string webUrl,
        PlaceNames? places = null)
    {
        using var stream = new MemoryStream();
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true };
        using (var w = XmlWriter.Create(stream, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("alert", CapSchema.Namespace12);
            w.WriteElementString("identifier", CapSchema.Namespace12, alert.Identifier);
            w.WriteElementString("sender", CapSchema.Namespace12, alert.Sender);
            w.WriteElementString("sent", CapSchema.Namespace12, CapTime(alert.Sent));
            w.WriteElementString("status", CapSchema.Namespace12, alert.Status.ToString());
            w.WriteElementString("msgType", CapSchema.Namespace12, alert.MsgType.ToString());
            w.WriteElementString("scope", CapSchema.Namespace12, "Public");
            if (alert.References.Length > 0)
            {
                w.WriteElementString("references", CapSchema.Namespace12, string.Join(' ', alert.References));
            }

            var expires = alert.MsgType == MsgType.Cancel ? alert.Sent + options.KeepCancelledFor : alert.Expires;
            foreach (var (language, text) in alert.Texts)
            {
                var english = language.StartsWith("en", StringComparison.OrdinalIgnoreCase);
                w.WriteStartElement("info", CapSchema.Namespace12);
                w.WriteElementString("language", CapSchema.Namespace12, CapLanguage(language));
                w.WriteElementString("category", CapSchema.Namespace12, Category(alert.Event));
                w.WriteElementString("event", CapSchema.Namespace12, english ? HazardWords.EventEnglish(alert.Event) : alert.Event);
                if (alert.AllClear)
                {
                    w.WriteElementString("responseType", CapSchema.Namespace12, "AllClear");
                }

                w.WriteElementString("urgency", CapSchema.Namespace12, alert.AllClear ? nameof(Urgency.Past) : alert.Urgency.ToString());
                w.WriteElementString("severity", CapSchema.Namespace12, alert.AllClear ? nameof(Severity.Minor) : alert.Severity.ToString());
                w.WriteElementString("certainty", CapSchema.Namespace12, alert.Certainty.ToString());
                if (expires is { } until)
                {
                    w.WriteElementString("expires", CapSchema.Namespace12, CapTime(until));
                }

                w.WriteElementString("senderName", CapSchema.Namespace12, options.SenderName);
                if (text.Headline is { } headline)
                {
                    w.WriteElementString("headline", CapSchema.Namespace12, headline);
                }

                if (text.Body is { } body)
                {
                    w.WriteElementString("description", CapSchema.Namespace12, body);
                }

                if (text.Instruction is { } instruction)
                {
                    w.WriteElementString("instruction", CapSchema.Namespace12, instruction);
                }

                w.WriteElementString("web", CapSchema.Namespace12, webUrl);
                if (alert.Image is { } image && alert.MsgType != MsgType.Cancel && !alert.AllClear)
                {
                    // The public, metadata-free copy of the alert's picture.
                    w.WriteStartElement("resource", CapSchema.Namespace12);
                    w.WriteElementString("resourceDesc", CapSchema.Namespace12, image.Caption ?? "image");
                    w.WriteElementString("mimeType", CapSchema.Namespace12, "image/jpeg");
                    w.WriteElementString("uri", CapSchema.Namespace12, image.Url);
                    w.WriteEndElement();
                }

                WriteArea(w, english ? EnglishAreaDesc(alert.AreaName, shapes, places) : alert.AreaName, shapes, options.MaxPolygonPoints);
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return stream.ToArray();
    }

    private static void WriteArea(XmlWriter w, string areaName, IReadOnlyList<(TargetShape Shape, string? Code)> shapes, int maxPoints)
    {
        w.WriteStartElement("area", CapSchema.Namespace12);
        w.WriteElementString("areaDesc", CapSchema.Namespace12, string.IsNullOrEmpty(areaName) ? "指定区域" : areaName);
        foreach (var (shape, _) in shapes)
        {
            if (shape is PolygonShape polygon)
            {
                // CAP polygons have no holes: the outer rings give a (slightly generous) area for display.
                for (var i = 0; i < polygon.Geometry.NumGeometries; i++)
                {
                    if (polygon.Geometry.GetGeometryN(i) is Polygon p)
                    {
                        w.WriteElementString("polygon", CapSchema.Namespace12, Ring(Simplify(p, maxPoints).Shell));
                    }
                }
            }
        }

        foreach (var (shape, _) in shapes)
        {
            if (shape is CircleShape c)
            {
                w.WriteElementString("circle", CapSchema.Namespace12,
                    string.Create(CultureInfo.InvariantCulture, $"{c.Lat:0.######},{c.Lon:0.######} {c.RadiusMeters / 1000:0.###}"));
            }
        }

        var codes = shapes.Select(s => s.Code).OfType<string>().Select(AreaCodes.Normalise).Distinct().ToList();
        foreach (var code in codes)
        {
            WriteGeocode(w, code.Length == 5 ? "JISX0402" : "JMA", code);
        }

        foreach (var code in codes.Where(c => c.Length == 5 && c.All(char.IsAsciiDigit)))
        {
            WriteGeocode(w, "jisX0402", code + AreaCodes.JisCheckDigit(code).ToString(CultureInfo.InvariantCulture));
        }

        w.WriteEndElement();
    }

    private static void WriteGeocode(XmlWriter w, string valueName, string value)
    {
        w.WriteStartElement("geocode", CapSchema.Namespace12);
        w.WriteElementString("valueName", CapSchema.Namespace12, valueName);
        w.WriteElementString("value", CapSchema.Namespace12, value);
        w.WriteEndElement();
    }

    /// <summary>The areas in English: each named area romanised (Yokote City), as the Japanese areaDesc counts them.</summary>
    private static string EnglishAreaDesc(string areaName, IReadOnlyList<(TargetShape Shape, string? Code)> shapes, PlaceNames? places)
    {
        var names = shapes.Select(s => s.Shape.Name).Where(n => !string.IsNullOrWhiteSpace(n)).Distinct().ToList();
        if (names.Count == 0)
        {
            // Areas deleted since: the Japanese description is all there is (「横手市・増田 ほか2区域」).
            var others = areaName.IndexOf(" ほか", StringComparison.Ordinal);
            names = [.. (others < 0 ? areaName : areaName[..others]).Split('・', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        var english = names.Select(n => places?.English(n) ?? n).ToList();
        return english.Count switch
        {
            0 => "Designated area",
            <= 3 => string.Join(", ", english),
            _ => string.Create(CultureInfo.InvariantCulture, $"{string.Join(", ", english.Take(3))} and {english.Count - 3} more areas"),
        };
    }

    private static Polygon Simplify(Polygon polygon, int maxPoints)
    {
        var tolerance = 0.0001;
        var result = polygon;
        while (result.Shell.NumPoints > maxPoints && tolerance < 1)
        {
            result = TopologyPreservingSimplifier.Simplify(polygon, tolerance) as Polygon ?? result;
            tolerance *= 2;
        }

        return result;
    }

    private static string Ring(LineString ring) =>
        string.Join(' ', ring.Coordinates.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Y:0.######},{c.X:0.######}")));

    private static string CapLanguage(string language) => language switch
    {
        "ja" => "ja-JP",
        "en" => "en-US",
        _ => language,
    };

    /// <summary>CAP category from the event name (Japanese or English).</summary>
    internal static string Category(string eventName) => eventName switch
    {
        _ when ContainsAny(eventName, "地震", "津波", "火山", "噴火", "土砂", "earthquake", "tsunami", "volcan", "landslide") => "Geo",
        _ when ContainsAny(eventName, "気象", "洪水", "大雨", "氾濫", "浸水", "暴風", "大雪", "竜巻", "台風", "高潮", "weather", "flood", "rain", "storm", "snow", "tornado", "typhoon") => "Met",
        _ when ContainsAny(eventName, "火災", "fire") => "Fire",
        _ when ContainsAny(eventName, "避難", "evacuation") => "Safety",
        _ when ContainsAny(eventName, "感染", "熱中症", "health") => "Health",
        _ => "Other",
    };

    private static bool ContainsAny(string value, params string[] parts) => parts.Any(p => value.Contains(p, StringComparison.OrdinalIgnoreCase));
}
