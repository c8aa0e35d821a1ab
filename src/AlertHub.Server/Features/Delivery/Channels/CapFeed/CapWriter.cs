using System.Globalization;
using System.Text;
using System.Xml;
using AlertHub.Core.Cap;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using NetTopologySuite.Geometries;
using NetTopologySuite.Simplify;

namespace AlertHub.Server.Features.Delivery.Channels.CapFeed;

/// <summary>Writes an alert version as a CAP 1.2 document: one <c>info</c> per language, areas as polygons, circles and geocodes.</summary>
internal static class CapWriter
{
    public static string CapTime(DateTimeOffset time) => AlertDocument.CapTime(time);

    public static byte[] Write(AlertDocument alert, IReadOnlyList<(TargetShape Shape, string? Code)> shapes, CapFeedOptions options, string webUrl)
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

            foreach (var (language, text) in alert.Texts)
            {
                w.WriteStartElement("info", CapSchema.Namespace12);
                w.WriteElementString("language", CapSchema.Namespace12, CapLanguage(language));
                w.WriteElementString("category", CapSchema.Namespace12, Category(alert.Event));
                w.WriteElementString("event", CapSchema.Namespace12, alert.Event);
                if (alert.AllClear)
                {
                    w.WriteElementString("responseType", CapSchema.Namespace12, "AllClear");
                }
                w.WriteElementString("urgency", CapSchema.Namespace12, alert.Urgency.ToString());
                w.WriteElementString("severity", CapSchema.Namespace12, alert.Severity.ToString());
                w.WriteElementString("certainty", CapSchema.Namespace12, alert.Certainty.ToString());
                if (alert.Expires is { } expires)
                {
                    w.WriteElementString("expires", CapSchema.Namespace12, CapTime(expires));
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

                WriteArea(w, alert.AreaName, shapes, options.MaxPolygonPoints);
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

        foreach (var code in shapes.Select(s => s.Code).OfType<string>().Select(AreaCodes.Normalise).Distinct())
        {
            w.WriteStartElement("geocode", CapSchema.Namespace12);
            w.WriteElementString("valueName", CapSchema.Namespace12, code.Length == 5 ? "JISX0402" : "JMA");
            w.WriteElementString("value", CapSchema.Namespace12, code);
            w.WriteEndElement();
        }

        w.WriteEndElement();
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
        _ when ContainsAny(eventName, "洪水", "大雨", "氾濫", "浸水", "暴風", "大雪", "竜巻", "台風", "高潮", "flood", "rain", "storm", "snow", "tornado", "typhoon") => "Met",
        _ when ContainsAny(eventName, "火災", "fire") => "Fire",
        _ when ContainsAny(eventName, "感染", "熱中症", "health") => "Health",
        _ => "Other",
    };

    private static bool ContainsAny(string value, params string[] parts) => parts.Any(p => value.Contains(p, StringComparison.OrdinalIgnoreCase));
}
