using System.Globalization;
using System.Text.Json;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Alerts;

/// <summary>
/// The last start-up step: issues a made-up exercise alert around the map's centre through the whole issue path —
/// request parsing, targeting, area naming, the outbox write with its first part, the audit line, each channel's
/// rendering — and rolls the transaction back. Nothing is stored, sent, published or counted.
/// <para>Why: the first alert after a start used to pay for compiling and loading that path (code, JSON contracts,
/// the store's bulk writer): on a three-node cluster at city scale it was answered after about 1.1 s instead of 0.4 s,
/// and its first resident heard after 1.6–2.3 s instead of under one. The first alert after a restart is exactly the
/// one that matters, so the hub pays that price before /health says it is ready, not during the flood.</para>
/// </summary>
internal sealed partial class IssueRehearsal(AlertService alerts, IOptions<AlertsOptions> options, IOptions<DashboardOptions> dashboard,
    ILogger<IssueRehearsal> logger) : IStartupStep
{
    /// <summary>Who the rehearsal's (rolled back) audit line names.</summary>
    public const string Actor = "system:rehearsal";

    /// <summary>Made-up recipients per channel when nobody lives in the rehearsal's area (a fresh hub): a rehearsal that
    /// writes no outbox rows would leave the bulk writer cold.</summary>
    public const int StandInsPerChannel = 200;

    /// <summary>In the rehearsal's result: its recipients were stand-ins.</summary>
    public const string StandInsWarning = "rehearsal.stand_ins";

    public int Order => 900;

    /// <summary><paramref name="result"/> with <see cref="StandInsPerChannel"/> made-up residents on each allowed channel. The
    /// outbox has no foreign key to residents, and the rehearsal's transaction is rolled back.</summary>
    internal static TargetResult WithStandIns(TargetResult result, IReadOnlyCollection<string> channels)
    {
        var byChannel = channels.ToDictionary(c => c, _ => (IReadOnlyList<Guid>)[.. Enumerable.Range(0, StandInsPerChannel).Select(_ => Guid.NewGuid())],
            StringComparer.OrdinalIgnoreCase);
        var ids = byChannel.Values.SelectMany(v => v).ToList();
        return result with
        {
            Recipients = ids.Count,
            ByChannel = byChannel.ToDictionary(c => c.Key, c => c.Value.Count, StringComparer.OrdinalIgnoreCase),
            RecipientIds = ids,
            RecipientsByChannel = byChannel,
        };
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.RehearseIssueAtStart)
        {
            return;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            // Read from a JSON body as POST /api/alerts reads it, so the request's JSON contract is loaded too.
            var request = System.Text.Json.Nodes.JsonNode.Parse(RequestJson(dashboard.Value.MapCenter))!.Deserialize<AlertRequest>(Json.Options)!;
            var rehearsed = await alerts.RehearseIssueAsync(request, cancellationToken);
            _ = JsonSerializer.Serialize(rehearsed, Json.Options);
            var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (rehearsed.Warnings.Contains(StandInsWarning))
            {
                LogRehearsedWithStandIns(logger, rehearsed.Recipients, elapsedMs);
            }
            else
            {
                LogRehearsed(logger, rehearsed.Recipients, elapsedMs);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never a reason not to start: the first real alert would only be slower.
            LogRehearsalFailed(logger, e);
        }
    }

    /// <summary>An exercise in three languages over a circle and a drawn square at the map's centre (both kinds of shape).</summary>
    internal static string RequestJson(double[] mapCenter)
    {
        var (lat, lon) = mapCenter is [var a, var b, ..] ? (a, b) : (39.3114, 140.5535);
        const double half = 0.01;
        return string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "status": "Exercise", "msgType": "Alert", "event": "洪水", "severity": "Severe", "urgency": "Immediate", "certainty": "Likely",
              "area": {
                "circles": [ { "lat": {{lat}}, "lon": {{lon}}, "radiusMeters": 2000 } ],
                "geometry": { "type": "Polygon", "coordinates": [ [ [{{lon - half}}, {{lat - half}}], [{{lon + half}}, {{lat - half}}],
                  [{{lon + half}}, {{lat + half}}], [{{lon - half}}, {{lat + half}}], [{{lon - half}}, {{lat - half}}] ] ] }
              },
              "texts": {
                "ja": { "headline": "【訓練】起動時の予行（送信されません）", "body": "起動時の予行です。保存も送信もされません。", "instruction": "対応は不要です。" },
                "ja-x-easy": { "headline": "【くんれん】よこう", "body": "おくられません。", "instruction": "なにも しなくて だいじょうぶ です。" },
                "en": { "headline": "[EXERCISE] Start-up rehearsal (never sent)", "body": "Neither stored nor sent.", "instruction": "No action is needed." }
              }
            }
            """);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Issue path rehearsed at start ({Recipients} recipients targeted, rolled back) in {ElapsedMs:F0} ms")]
    private static partial void LogRehearsed(ILogger logger, int recipients, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Issue path rehearsed at start (nobody lives in its area: {StandIns} stand-in recipients, rolled back) in {ElapsedMs:F0} ms")]
    private static partial void LogRehearsedWithStandIns(ILogger logger, int standIns, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The start-up rehearsal of the issue path failed; the first alert will be slower")]
    private static partial void LogRehearsalFailed(ILogger logger, Exception exception);
}
