using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Feeds.Polling;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Feeds;

/// <summary>What happened to one incoming document.</summary>
internal sealed record IngestResult(
    bool Accepted, bool Duplicate, string? EventId, string? RejectionCode, string? RejectionReason,
    HazardEvent? Event = null, bool Applied = false, string? Outcome = null, string? AlertId = null);

/// <summary>
/// The one way feed documents enter the hub (pushed to the API or pulled by the poller): byte-identical
/// re-deliveries are ignored, hostile or broken documents are quarantined with a stable code, accepted ones
/// are stored raw with their event, the series advances only forward, and the rules act on the newest event.
/// Documents are taken one at a time, across every node sharing the store, so the rules always read the series state the
/// previous document left (two nodes taking two telegrams of one series at once would otherwise both act on the older state).
/// </summary>
internal sealed partial class FeedIntake(
    FeedRecords store,
    AlertHub.Core.Cluster.IClusterLocks locks,
    IFeedEventRules rules,
    AreaCodeTable codeTable,
    IOptions<FeedsOptions> options,
    IStaffEvents staff,
    ILogger<FeedIntake> logger) : IFeedIntake
{
    private const string IntakeLock = "feed-intake";

    /// <summary>The poller's way in: the same intake as pushed documents.</summary>
    public async Task<FeedIntakeResult> AcceptAsync(FeedSource source, ReadOnlyMemory<byte> document, string origin, CancellationToken ct)
    {
        var result = await IngestAsync(source, document, origin, ct);
        return new FeedIntakeResult(result.Accepted, result.Duplicate || (result.Accepted && !result.Applied), result.EventId, result.RejectionCode);
    }

    public async Task<IngestResult> IngestAsync(FeedSource? source, ReadOnlyMemory<byte> document, string? origin, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var sha = FeedRecords.Sha256(document.Span);
        await using (await locks.AcquireAsync(IntakeLock, cancellationToken))
        {
            if (await store.FindDocumentAsync(sha, cancellationToken) is { } seen)
            {
                return new IngestResult(seen.Status == "accepted", true, seen.EventId, null, null);
            }

            HazardEvent e;
            try
            {
                e = FeedParser.Parse(document, source, new SafeXmlOptions(o.MaxDocumentBytes, o.MaxDepth));
            }
            catch (FeedRejectedException rejected)
            {
                await store.QuarantineAsync(sha, source, origin, document, o.QuarantineKeepBytes, rejected.Code, rejected.Message, cancellationToken);
                LogRejected(logger, origin ?? "push", rejected.Code, rejected.Message);
                return new IngestResult(false, false, null, rejected.Code, rejected.Message);
            }

            var eventId = Guid.NewGuid().ToString("N");
            var (duplicate, applied, reason, state) = await store.StoreAcceptedAsync(sha, e.Source, origin, document, e, eventId, cancellationToken,
                EventCodes.Of(e, MunicipalitiesFromTable(e)));
            if (duplicate is not null)
            {
                // Another writer (another hub on the same store) stored the same bytes after the look-up above.
                return new IngestResult(duplicate.Status == "accepted", true, duplicate.EventId, null, null);
            }

            string? outcome = reason;
            string? alertId = null;
            if (applied)
            {
                (outcome, alertId) = await rules.ApplyAsync(e, eventId, state, cancellationToken);
                await store.SaveOutcomeAsync(eventId, e.SeriesKey, outcome, alertId, state, cancellationToken);
            }

            LogAccepted(logger, e.Family, e.Lifecycle, e.Operational, outcome ?? "");
            await staff.FeedEventAsync(new FeedEventNotice(eventId, e.Family, e.Lifecycle.ToString(), e.Operational.ToString(), e.Category,
                e.MainText.Headline, applied, outcome, alertId), cancellationToken);
            return new IngestResult(true, false, eventId, null, null, e, applied, outcome, alertId);
        }
    }

    /// <summary>
    /// Municipalities the city's code table gives areas that name none themselves, so staff find a VXSE51 or a
    /// tsunami forecast by 05203 — with the rules' own reading of seismic regions (none in a telegram with cities).
    /// </summary>
    private IEnumerable<string> MunicipalitiesFromTable(HazardEvent e) =>
        e.Areas.Where(a => a.Municipality is null && !(a.Scheme == "jma-seismic" && EventAreas.HasCityIntensities(e)))
            .SelectMany(a => codeTable.MunicipalitiesOf(a.Scheme, a.Code, null));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed document from {Origin} rejected ({Code}): {Reason}")]
    private static partial void LogRejected(ILogger logger, string origin, string code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Feed event {Family} {Lifecycle} {Operational}: {Outcome}")]
    private static partial void LogAccepted(ILogger logger, string family, EventLifecycle lifecycle, Operational operational, string outcome);
}
