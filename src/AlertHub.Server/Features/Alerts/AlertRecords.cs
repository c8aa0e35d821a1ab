using System.Collections.Concurrent;
using System.Text.Json;
using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Alerts;

/// <summary>
/// Alerts (all versions) as the feature uses them: issuing writes the version, its outbox, the approving draft's decision
/// and the audit row in one store transaction, so issuing is atomic on every engine; documents are cached, being immutable.
/// </summary>
internal sealed class AlertRecords
{
    private readonly ConcurrentDictionary<(string, int), AlertDocument> _versions = new();

    // The newest version of each alert this process has written, read or heard of from another node: lets a worker skip,
    // without a query, an item whose alert moved on while its batch was being sent (a cancel issued on any node stops the
    // rest of a batch in flight on every node, not only on the node that issued it).
    private readonly ConcurrentDictionary<string, int> _heads = new();
    private readonly IStoreTransactions transactions;
    private readonly IAlertStore store;
    private readonly IDraftStore drafts;
    private readonly IOutboxStore outbox;
    private readonly AuditLog audit;
    private readonly IClusterEvents cluster;
    private readonly TimeProvider time;

    public AlertRecords(IStoreTransactions transactions, IAlertStore store, IDraftStore drafts, IOutboxStore outbox, AuditLog audit,
        IClusterEvents cluster, TimeProvider time)
    {
        this.transactions = transactions;
        this.store = store;
        this.drafts = drafts;
        this.outbox = outbox;
        this.audit = audit;
        this.cluster = cluster;
        this.time = time;
        cluster.Subscribe(ClusterTopics.AlertVersions, e =>
        {
            // "{id}:{version}"; a resync needs nothing: the store's check before sending is the record.
            if (!e.FromThisNode && !e.IsResync && e.Payload.LastIndexOf(':') is > 0 and var colon
                && int.TryParse(e.Payload.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
            {
                var id = e.Payload[..colon];
                _heads.AddOrUpdate(id, version, (_, known) => Math.Max(known, version));
            }
        });
    }

    /// <summary>
    /// Stores a new version and, in the same transaction, its delivery work (the outbox queues it in chunks), so a crash
    /// never leaves an issued alert without its outbox. Pending work of earlier versions is superseded: the new version
    /// reaches those people anyway.
    /// </summary>
    /// <param name="queuedInFull">False when only the first part of a large fan-out is queued now (see <see cref="AlertQueueing"/>).</param>
    /// <param name="laterRecipients">Residents left for the later parts, when only a part is queued now (counted in the version's recipients).</param>
    /// <param name="rehearsal">Do every write, then roll back (see <see cref="IssueRehearsal"/>).</param>
    /// <param name="alsoAudit">A second audit line written in the same transaction (an approval bypassed: see <see cref="AlertService.IssueAsync"/>).</param>
    public async Task<(int Recipients, Dictionary<string, int> ByChannel)> InsertVersionAsync(
        AlertDocument document, OutboxEnqueue enqueue, string actor, CancellationToken cancellationToken, string? approvingDraftId = null,
        bool queuedInFull = true, int laterRecipients = 0, bool rehearsal = false, AuditLine? alsoAudit = null)
    {
        // On SQLite the transaction holds the write lock; on PostgreSQL the alert's row is locked by AdvanceAsync. Either way the
        // draft and version checks below see what is committed and no other writer slips in between a check and the insert.
        await using var transaction = await transactions.BeginAsync(cancellationToken);
        if (approvingDraftId is not null
            && !await drafts.DecideAsync(approvingDraftId, "approved", time.GetUtcNow(), actor, null, document.Id, cancellationToken, transaction))
        {
            // Approving issues at most once: the draft leaves 'pending' in the same transaction that stores the alert.
            throw new RequestValidationException(Problems.DraftAlreadyDecided, $"Draft {approvingDraftId} is no longer pending: someone decided it first.") { Status = 409 };
        }

        // Versions are numbered by the store, not by the caller's memory: a concurrent version (another request, another node) loses.
        if (!await store.AdvanceAsync(transaction, document.Id, document.Version, StateOf(document), document.MsgType == MsgType.Cancel, document.Sent, actor,
            cancellationToken))
        {
            throw new RequestValidationException(Problems.AlertVersionConflict,
                $"Alert {document.Id} changed while this version was being prepared; read it again and retry.") { Status = 409 };
        }

        var (queued, byChannel) = await outbox.EnqueueAsync(transaction, enqueue, cancellationToken);
        var total = queued + laterRecipients;
        await store.InsertVersionAsync(transaction, new StoredAlertVersion(document.Id, document.Version, document.MsgType.ToString(), document.Sent,
            document.Expires, document.Priority, total, JsonSerializer.Serialize(document, Json.Options), queuedInFull,
            queuedInFull ? time.GetUtcNow().ToUnixTimeMilliseconds() : null), cancellationToken);
        await audit.WriteAsync(actor, "alerts." + document.MsgType.ToString().ToLowerInvariant(), $"{document.Id}#{document.Version}",
            $"{document.Status} {document.Event}: {total} recipients", cancellationToken, transaction);
        if (alsoAudit is not null)
        {
            await audit.WriteAsync(actor, alsoAudit.Action, alsoAudit.Target, alsoAudit.Detail, cancellationToken, transaction);
        }

        if (rehearsal)
        {
            // Disposed uncommitted: rolled back, and nothing below (caches, the cluster's notice) may see it.
            return (total, byChannel);
        }

        await transaction.CommitAsync(cancellationToken);
        _versions[(document.Id, document.Version)] = document;
        _heads.AddOrUpdate(document.Id, document.Version, (_, known) => Math.Max(known, document.Version));
        if (document.Version > 1)
        {
            // Only a newer version changes what another node's workers may send.
            await cluster.PublishAsync(ClusterTopics.AlertVersions, $"{document.Id}:{document.Version}", CancellationToken.None);
        }

        return (total, byChannel);
    }

    /// <summary>
    /// Queues a later part of a version, unless a newer version exists (then the rest of this one is never queued: the newer
    /// version decides who hears what) or another node took its queueing over from <paramref name="owner"/> (null: the
    /// issuing node). The check and the insert are one transaction, so a newer version or a take-over either comes after
    /// this part or stops it.
    /// </summary>
    public async Task<QueueingCheck> AppendQueuedPartAsync(string alertId, int version, string? owner, OutboxEnqueue part, CancellationToken cancellationToken)
    {
        await using var transaction = await transactions.BeginAsync(cancellationToken);
        var check = await store.CheckQueueingAsync(transaction, alertId, version, owner, cancellationToken);
        if (check != QueueingCheck.Queueing)
        {
            return check;
        }

        await outbox.EnqueueAsync(transaction, part with { Append = true }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return check;
    }

    /// <summary>Takes an unfinished version's queueing over (see <see cref="IAlertStore.TakeOverQueueingAsync"/>).</summary>
    public Task<bool> TakeOverQueueingAsync(string alertId, int version, string owner, CancellationToken cancellationToken) =>
        store.TakeOverQueueingAsync(alertId, version, owner, cancellationToken);

    /// <summary>Marks a version's queueing finished (all parts queued, or stopped by a newer version), if
    /// <paramref name="owner"/> still owns it.</summary>
    public Task<bool> CompleteQueueingAsync(string alertId, int version, string? owner, CancellationToken cancellationToken) =>
        store.CompleteQueueingAsync(alertId, version, owner, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);

    /// <summary>Versions whose queueing did not finish (their process died part way).</summary>
    public Task<IReadOnlyList<(string AlertId, int Version)>> UnfinishedQueueingAsync(CancellationToken cancellationToken) =>
        store.UnfinishedQueueingAsync(cancellationToken);

    public async Task<AlertDocument?> GetVersionAsync(string id, int version, CancellationToken cancellationToken)
    {
        if (_versions.TryGetValue((id, version), out var cached))
        {
            return cached;
        }

        if (await store.GetDocumentAsync(id, version, cancellationToken) is not { } json)
        {
            return null;
        }

        var document = JsonSerializer.Deserialize<AlertDocument>(json, Json.Options)!;
        _versions[(id, version)] = document;
        return document;
    }

    /// <summary>False once this process knows of a newer version of the alert (it wrote or read it); true otherwise.</summary>
    public bool MayBeCurrent(string id, int version) => !_heads.TryGetValue(id, out var head) || head <= version;

    public async Task<(int CurrentVersion, string State)?> GetHeadAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.GetHeadAsync(id, cancellationToken) is not { } head)
        {
            return null;
        }

        _heads.AddOrUpdate(id, head.CurrentVersion, (_, known) => Math.Max(known, head.CurrentVersion));
        return head;
    }

    public async Task<IReadOnlyList<VersionSummary>> ListVersionsAsync(string id, CancellationToken cancellationToken)
    {
        var list = (await store.ListVersionsAsync(id, cancellationToken)).Select(v => new VersionSummary(v.Version, v.MsgType, v.IssuedAt, v.ExpiresAt, v.Recipients)
        {
            QueuedInFullAt = v.QueuedInFullAtMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
        }).ToList();
        var byVersion = new Dictionary<int, Dictionary<string, VersionDelivery>>();
        var offline = await outbox.OfflineCountsAsync(id, cancellationToken);
        foreach (var (version, channel, delivery) in await outbox.VersionCountsAsync(id, cancellationToken))
        {
            (byVersion.TryGetValue(version, out var channels) ? channels : byVersion[version] = [])[channel] =
                delivery with { Offline = Math.Min(delivery.Pending, offline.GetValueOrDefault((version, channel))) };
        }

        return [.. list.Select(v => byVersion.TryGetValue(v.Version, out var channels)
            ? v with { Delivery = Sum(channels.Values), DeliveryByChannel = channels }
            : v with { Delivery = new VersionDelivery(0, 0, 0, 0, 0, 0, 0, 0, 0), DeliveryByChannel = new Dictionary<string, VersionDelivery>() })];
    }

    private static VersionDelivery Sum(IEnumerable<VersionDelivery> parts) => parts.Aggregate(new VersionDelivery(0, 0, 0, 0, 0, 0, 0, 0, 0),
        (a, b) => new VersionDelivery(a.Targeted + b.Targeted, a.Delivered + b.Delivered, a.Pending + b.Pending, a.Sending + b.Sending,
            a.Failed + b.Failed, a.Gone + b.Gone, a.Expired + b.Expired, a.Superseded + b.Superseded, a.Acknowledged + b.Acknowledged)
        { Offline = a.Offline + b.Offline });

    /// <summary>Alerts newest first with what the board's list shows, filtered (<see cref="AlertListFilter"/>).</summary>
    public async Task<IReadOnlyList<AlertListItem>> ListAsync(AlertListFilter filter, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = await store.ListAsync(new AlertQuery(filter.Q, filter.Status?.ToString(), filter.State, now, filter.From, filter.To, filter.Before, filter.Limit),
            cancellationToken);
        return [.. rows.Select(row =>
        {
            var document = JsonSerializer.Deserialize<AlertDocument>(row.Document, Json.Options)!;
            var text = document.Texts.GetValueOrDefault("ja") ?? document.Texts.Values.FirstOrDefault();
            var people = Provenance(row.People);
            return new AlertListItem(row.Id, row.CurrentVersion, row.State, row.State == "issued" && row.ExpiresAt <= now, row.CreatedAt, row.IssuedAt,
                document.Status.ToString(), document.MsgType.ToString(), document.AllClear, document.Event, document.Severity.ToString(), text?.Headline,
                document.AreaName, row.ExpiresAt, row.Recipients, people.Author, people.Approver, people.BypassReason is not null, row.People.Acknowledged,
                new SafetyCounts(row.People.Safe, row.People.NeedHelp));
        })];
    }

    /// <summary>Who wrote and approved one alert, and the 安否 replies to it.</summary>
    public async Task<(AlertProvenance Provenance, SafetyCounts Safety)?> PeopleAndRepliesAsync(string id, CancellationToken cancellationToken) =>
        await store.PeopleAsync(id, cancellationToken) is { } people ? (Provenance(people), new SafetyCounts(people.Safe, people.NeedHelp)) : null;

    // Who wrote and who approved an alert: an approved draft names both; otherwise whoever issued it, and an emergency bypass
    // (audited as alerts.issue.bypass) its reason.
    private static AlertProvenance Provenance(AlertPeople p) =>
        p.DraftAuthor is null ? new AlertProvenance(p.CreatedBy, null, p.BypassReason) : new AlertProvenance(p.DraftAuthor, p.DraftApprover, null);

    /// <summary>Per channel: counts by state, first/last delivery, and issue→delivery p50/p95 over every version.</summary>
    public async Task<AlertDeliveryView> SummariseAsync(string id, CancellationToken cancellationToken)
    {
        var byChannel = new Dictionary<string, ChannelDeliverySummary>();
        var allLatencies = new List<long>();
        foreach (var group in (await outbox.VersionCountsAsync(id, cancellationToken)).GroupBy(c => c.Channel).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var d = group.Select(g => g.Delivery).ToList();
            var (latencies, first, last) = await outbox.LatenciesAsync(id, group.Key, cancellationToken);
            allLatencies.AddRange(latencies);
            byChannel[group.Key] = new ChannelDeliverySummary(d.Sum(x => x.Pending), d.Sum(x => x.Delivered), d.Sum(x => x.Failed - x.Gone - x.Expired),
                d.Sum(x => x.Gone), d.Sum(x => x.Expired), d.Sum(x => x.Superseded - x.Acknowledged), d.Sum(x => x.Acknowledged),
                first is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null, last is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
                Percentile(latencies, 0.50), Percentile(latencies, 0.95));
        }

        allLatencies.Sort();
        var v = byChannel.Values;
        var total = new ChannelDeliverySummary(v.Sum(s => s.Queued), v.Sum(s => s.Delivered), v.Sum(s => s.Failed), v.Sum(s => s.Gone),
            v.Sum(s => s.Expired), v.Sum(s => s.Superseded), v.Sum(s => s.Acknowledged), v.Min(s => s.FirstDelivery), v.Max(s => s.LastDelivery),
            Percentile(allLatencies, 0.50), Percentile(allLatencies, 0.95));
        return new AlertDeliveryView(byChannel, total, await store.AcknowledgementCountAsync(id, cancellationToken));
    }

    /// <summary>The current version of the most recently issued alerts, newest first.</summary>
    public async Task<IReadOnlyList<AlertDocument>> ListCurrentVersionsAsync(int limit, CancellationToken cancellationToken) =>
        [.. (await store.CurrentDocumentsAsync(limit, cancellationToken)).Select(json => JsonSerializer.Deserialize<AlertDocument>(json, Json.Options)!)];

    /// <summary>Records a resident's acknowledgement (idempotent). Returns false if the alert does not exist.</summary>
    public Task<bool> AcknowledgeAsync(string alertId, Guid residentId, string via, CancellationToken cancellationToken) =>
        store.AcknowledgeAsync(alertId, residentId, time.GetUtcNow(), via, cancellationToken);

    /// <summary>When the resident acknowledged each alert they acknowledged (the inbox keeps 受け取りました across reloads).</summary>
    public Task<IReadOnlyDictionary<string, DateTimeOffset>> AcknowledgementsAsync(Guid residentId, CancellationToken cancellationToken) =>
        store.AcknowledgementsAsync(residentId, cancellationToken);

    private static string StateOf(AlertDocument document) => document.MsgType == MsgType.Cancel ? "cancelled" : document.AllClear ? "ended" : "issued";

    /// <summary>Nearest-rank percentile over sorted values.</summary>
    internal static double? Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[(int)OutboxPlanning.PercentileRank(sorted.Count, p)];
}

/// <summary>An audit line to write with a version, in its transaction.</summary>
internal sealed record AuditLine(string Action, string Target, string Detail);
