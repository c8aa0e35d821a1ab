using System.Text;
using System.Xml;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.CapFeed;

/// <summary>The public CAP feed is a pull channel: listed in /api/channels, never counted as a push channel.</summary>
internal sealed class CapFeedChannel : IPullChannel, IChannelSetup<CapFeedOptions>
{
    public string Name => ChannelNames.CapFeed;

    public static void Configure(ChannelBuilder<CapFeedOptions> channel) => channel.MapEndpoints(app => app.MapCapFeed());
}

/// <summary>
/// <c>GET /feeds/cap.atom</c> (Atom index of current alerts) and <c>GET /feeds/cap/{id}.xml</c> /
/// <c>/feeds/cap/{id}/{version}.xml</c> (CAP 1.2) for L-Alert relays, Google Public Alerts-style consumers and
/// TV/radio partners. Public and free of resident data; updates and cancels carry <c>references</c>.
/// </summary>
internal static partial class CapFeedSetup
{
    private const string AtomNs = "http://www.w3.org/2005/Atom";

    public static IEndpointRouteBuilder MapCapFeed(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/feeds").WithTags("CAP feed").AllowAnonymous();
        feeds.MapGet("/cap.atom", async (AlertRecords store, IOptions<CapFeedOptions> options, IOptions<HubOptions> hub, TimeProvider time, CancellationToken ct) =>
        {
            var o = options.Value;
            var now = time.GetUtcNow();
            var current = await store.ListCurrentVersionsAsync(o.MaxEntries * 2, ct);
            var entries = current.Where(a => Published(a, o, now)).Take(o.MaxEntries).ToList();
            var baseUrl = hub.Value.PublicBaseUrl.TrimEnd('/');
            return Results.Bytes(Atom(entries, o, baseUrl, now), "application/atom+xml; charset=utf-8");
        });

        feeds.MapGet("/cap/{id}.xml", (string id, AlertRecords store, TargetingService targeting, AreaStore areas, PlaceNames places,
            IOptions<CapFeedOptions> options, IOptions<HubOptions> hub, CancellationToken ct) =>
            CapAsync(id, null, store, targeting, areas, places, options.Value, hub.Value, ct));
        feeds.MapGet("/cap/{id}/{version:int}.xml", (string id, int version, AlertRecords store, TargetingService targeting, AreaStore areas, PlaceNames places,
            IOptions<CapFeedOptions> options, IOptions<HubOptions> hub, CancellationToken ct) =>
            CapAsync(id, version, store, targeting, areas, places, options.Value, hub.Value, ct));
        return app;
    }

    /// <summary>
    /// Every link the hub sends (CAP <c>web</c>, the Atom feed, e-mail, Web Push) is built on <c>Hub:PublicBaseUrl</c>;
    /// left at its localhost default in Production, partners and residents would get links to their own machines.
    /// </summary>
    internal static bool WarnIfPublicBaseUrlIsLocal(IHostEnvironment environment, HubOptions hub, ILogger logger)
    {
        if (!environment.IsProduction())
        {
            return false;
        }

        var local = !Uri.TryCreate(hub.PublicBaseUrl, UriKind.Absolute, out var uri)
            || uri.IsLoopback
            || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
        if (local)
        {
            LogLocalPublicBaseUrl(logger, hub.PublicBaseUrl);
        }

        return local;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hub:PublicBaseUrl is {PublicBaseUrl} in Production: CAP links, the Atom feed, e-mail and Web Push links point at this machine. Set it to the hub's public HTTPS address.")]
    private static partial void LogLocalPublicBaseUrl(ILogger logger, string publicBaseUrl);

    private static async Task<IResult> CapAsync(string id, int? version, AlertRecords store, TargetingService targeting, AreaStore areas, PlaceNames places,
        CapFeedOptions options, HubOptions hub, CancellationToken ct)
    {
        var head = await store.GetHeadAsync(id, ct);
        var alert = head is null ? null : await store.GetVersionAsync(id, version ?? head.Value.CurrentVersion, ct);
        if (alert is null || (alert.Status != AlertStatus.Actual && !options.IncludeExercises))
        {
            return Problems.NotFoundProblem(Problems.AlertNotFound, $"No public CAP message {id}{(version is null ? "" : "/" + version)}.");
        }

        var baseUrl = hub.PublicBaseUrl.TrimEnd('/');
        var xml = CapWriter.Write(alert, Shapes(alert, targeting, areas), options, $"{baseUrl}/feeds/cap/{alert.Id}/{alert.Version}.xml", places);
        return Results.Bytes(xml, "application/cap+xml; charset=utf-8");
    }

    /// <summary>The alert's area as shapes, each hub area once even when named by id and by code; areas deleted since
    /// the alert was issued are left out (areaDesc still names them).</summary>
    private static List<(TargetShape, string?)> Shapes(AlertDocument alert, TargetingService targeting, AreaStore areas)
    {
        var result = new List<(TargetShape, string?)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var spec = alert.Area;
        foreach (var id in spec.AreaIds ?? [])
        {
            if (areas.Find(id) is { } area && seen.Add(area.Id))
            {
                result.Add((new PolygonShape(area.Id, area.Name, area.Geometry), area.Code));
            }
        }

        foreach (var code in spec.Codes ?? [])
        {
            result.AddRange(areas.FindByCode(code).Where(a => seen.Add(a.Id))
                .Select(a => ((TargetShape)new PolygonShape(a.Id, a.Name, a.Geometry), (string?)a.Code)));
        }

        var inline = spec with { AreaIds = null, Codes = null };
        if (inline.Geometry is not null || inline.Circles is { Length: > 0 })
        {
            result.AddRange(targeting.ResolveShapes(inline).Select(s => (s, (string?)null)));
        }

        return result;
    }

    private static bool Published(AlertDocument alert, CapFeedOptions options, DateTimeOffset now) =>
        (alert.Status == AlertStatus.Actual || options.IncludeExercises)
        && (alert.MsgType == MsgType.Cancel ? alert.Sent + options.KeepCancelledFor > now : alert.Expires is null || alert.Expires > now);

    private static byte[] Atom(IReadOnlyList<AlertDocument> entries, CapFeedOptions options, string baseUrl, DateTimeOffset now)
    {
        using var stream = new MemoryStream();
        using (var w = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("feed", AtomNs);
            w.WriteElementString("id", AtomNs, $"{baseUrl}/feeds/cap.atom");
            w.WriteElementString("title", AtomNs, $"{options.SenderName} 防災情報 (CAP 1.2)");
            w.WriteElementString("updated", AtomNs, (entries.Count > 0 ? entries.Max(e => e.Sent) : now).ToString("yyyy-MM-dd'T'HH:mm:sszzz"));
            w.WriteStartElement("link", AtomNs);
            w.WriteAttributeString("rel", "self");
            w.WriteAttributeString("href", $"{baseUrl}/feeds/cap.atom");
            w.WriteEndElement();
            w.WriteStartElement("author", AtomNs);
            w.WriteElementString("name", AtomNs, options.SenderName);
            w.WriteEndElement();
            foreach (var alert in entries)
            {
                var text = alert.Texts.TryGetValue("ja", out var ja) ? ja : alert.Texts.Values.First();
                w.WriteStartElement("entry", AtomNs);
                w.WriteElementString("id", AtomNs, alert.Identifier);
                w.WriteElementString("title", AtomNs, text.Headline ?? alert.Event);
                w.WriteElementString("updated", AtomNs, CapWriter.CapTime(alert.Sent));
                w.WriteStartElement("link", AtomNs);
                w.WriteAttributeString("rel", "alternate");
                w.WriteAttributeString("type", "application/cap+xml");
                w.WriteAttributeString("href", $"{baseUrl}/feeds/cap/{alert.Id}/{alert.Version}.xml");
                w.WriteEndElement();
                w.WriteElementString("summary", AtomNs, text.Body ?? text.Headline ?? alert.Event);
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return stream.ToArray();
    }
}
