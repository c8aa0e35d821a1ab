using System.Text.Json;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Shelters;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>
/// Turns alert versions and shelter changes into Lアラート publications, following the update rules public senders follow:
/// a 状態遷移型 document (避難情報, 避難所情報) keeps one documentID while anything in it is in force and every publication
/// carries the municipality's full current state with the revision one higher; a 地区 no longer ordered is published as 解除
/// until nothing is ordered, and that last all-解除 revision ends the document (the next order starts a new one). An お知らせ
/// is its own document per alert. A cancelled alert is withdrawn with an Errata: an Update that leaves it out when other orders
/// remain, a Cancel of the whole document when it was all there was. Every publication is stored (bytes, revision, each node's
/// acknowledgement) in the same transaction that advances the state, so a retry re-sends the same bytes and never makes a new revision;
/// the store lets one revision of a scope be built at a time, on any hub node.
/// </summary>
internal sealed class LAlertPublisher(ILAlertRecordStore records, AreaStore areas, IServiceProvider services, IOptions<LAlertOptions> options,
    IOptions<HubOptions> hub, TimeProvider time) : IDisposable
{
    // Resolved when first needed: targeting depends on the channel registry, which holds this channel.
    private TargetingService Targeting => services.GetRequiredService<TargetingService>();

    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly LAlertOptions _options = options.Value;

    public LAlertPublisherInfo Who { get; } = LAlertPublisherInfo.From(options.Value);

    public void Dispose() => _lock.Dispose();

    /// <summary>The 発令区分 an alert orders, by 警戒レベル, from its event or its Japanese headline (old names too); null for other alerts.</summary>
    public (string Sort, int Level)? EvacuationSort(AlertDocument alert)
    {
        var text = alert.Event + " " + (alert.Texts.TryGetValue("ja", out var ja) ? ja.Headline : null);
        int? level = text.Contains("緊急安全確保", StringComparison.Ordinal) ? 5
            : text.Contains("避難指示", StringComparison.Ordinal) || text.Contains("避難勧告", StringComparison.Ordinal) ? 4
            : text.Contains("高齢者等避難", StringComparison.Ordinal) || text.Contains("避難準備", StringComparison.Ordinal) ? 3
            : null;
        return level is { } l && _options.SortNames.TryGetValue(l, out var sort) ? (sort, l) : null;
    }

    /// <summary>
    /// Applies one alert version (once: applying it again returns the same publication). Returns the publication it made, or
    /// null when it changes nothing Lアラート shows (an update of texts only, an all-clear of an alert never published).
    /// </summary>
    public async Task<long?> ApplyAlertAsync(AlertDocument alert, CancellationToken cancellationToken)
    {
        var sort = EvacuationSort(alert);
        var scope = sort is null ? "general:" + alert.Id : "evacuation:" + alert.Status;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await using var tx = await records.BeginRevisionAsync(scope, cancellationToken);
            if (await records.FindAppliedAsync(tx, alert.Id, alert.Version, cancellationToken) is { Applied: true } applied)
            {
                return applied.Seq;
            }

            var seq = sort is { } s
                ? await ApplyEvacuationAsync(tx, scope, alert, s.Sort, s.Level, cancellationToken)
                : await ApplyGeneralAsync(tx, scope, alert, cancellationToken);
            await records.MarkAppliedAsync(tx, alert.Id, alert.Version, seq, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return seq;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Compares the shelters with the last 避難所情報 and publishes a revision when anything residents or media see changed.</summary>
    public async Task<long?> ApplySheltersAsync(IReadOnlyList<Shelter> shelters, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var status = _options.ShelterStatus;
            var scope = "shelter:" + status;
            await using var tx = await records.BeginRevisionAsync(scope, cancellationToken);
            var doc = await records.FindOpenDocumentAsync(tx, scope, cancellationToken);
            var state = doc is null ? new ShelterState() : JsonSerializer.Deserialize<ShelterState>(doc.State, StateJson) ?? new ShelterState();
            var now = time.GetUtcNow();
            var previous = state.Published.ToDictionary(s => s.Id, StringComparer.Ordinal);
            var entries = new List<ShelterEntry>();
            foreach (var s in shelters.Where(s => s.Status != "closed"))
            {
                var was = previous.GetValueOrDefault(s.Id);
                var at = was is { Sort: "開設" } ? was.At : now;
                entries.Add(new ShelterEntry(s.Id, s.Name, s.Location.Lat, s.Location.Lon, "避難所", "開設", s.Status switch
                {
                    "open" => "空き",
                    "crowded" => "混雑",
                    "full" => "定員一杯",
                    _ => "不明",
                }, s.Capacity, Math.Max(0, s.Occupancy ?? 0), at, s.UpdatedAt));
            }

            // Every shelter opened while this document lives stays in it; a closed one is 閉鎖 with no one counted.
            var open = entries.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            var current = shelters.ToDictionary(s => s.Id, StringComparer.Ordinal);
            foreach (var was in state.Published.Where(p => !open.Contains(p.Id)))
            {
                var name = current.TryGetValue(was.Id, out var c) ? c.Name : was.Name;
                entries.Add(was with { Name = name, Sort = "閉鎖", Status = null, HeadCount = 0, At = was.Sort == "閉鎖" ? was.At : now, CheckedAt = now });
            }

            long? seq = null;
            if ((doc is not null || open.Count > 0) && !SameShelters(state.Published, entries))
            {
                state.DisasterName ??= _options.DisasterName ?? "避難所開設";
                state.Published = entries;
                var stillOpen = open.Count > 0;
                var revision = (doc?.Revision ?? 0) + 1;
                var id = doc?.Id ?? Guid.NewGuid().ToString();
                var firstCreated = doc?.FirstCreated ?? now;
                var opened = entries.Count(e => e.Sort == "開設");
                var headline = Prefix(status) + (stillOpen
                    ? $"{Who.MunicipalityName} 避難所 {opened}か所 開設中（避難者 {entries.Sum(e => e.HeadCount)}人）"
                    : $"{Who.MunicipalityName} 避難所 すべて閉鎖");
                var header = new LAlertHeader(id, revision, revision == 1 ? "Report" : "Update", status, Guid.NewGuid().ToString(), now, firstCreated,
                    Prefix(status) + Who.MunicipalityName + " 避難所情報", headline, state.DisasterName);
                seq = await PublishAsync(tx, header, LAlertCategories.Shelter, LAlertDocumentWriter.Shelter(header, Who, entries), null, null,
                    scope, JsonSerializer.Serialize(state, StateJson), stillOpen, cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            return seq;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<long?> ApplyEvacuationAsync(IStoreTransaction tx, string scope, AlertDocument alert, string sort, int level,
        CancellationToken cancellationToken)
    {
        var status = alert.Status.ToString();
        var doc = await records.FindOpenDocumentAsync(tx, scope, cancellationToken);
        var state = doc is null ? new EvacuationState() : JsonSerializer.Deserialize<EvacuationState>(doc.State, StateJson) ?? new EvacuationState();
        var now = time.GetUtcNow();
        var before = state.Contributions.FirstOrDefault(c => c.AlertId == alert.Id);
        state.Contributions.RemoveAll(c => c.AlertId == alert.Id);
        (string, DateTimeOffset)? errata = null;
        HashSet<string> withdrawn = [];
        if (alert.MsgType == MsgType.Cancel)
        {
            if (before is null)
            {
                return null;
            }

            withdrawn = [.. before.Districts.Select(d => d.Key), .. before.Ever ?? []];
            errata = ($"先に発表した{before.Sort}（{Names(before.Districts)}）は誤りのため取り消します。", now);
        }
        else if (alert.AllClear)
        {
            if (before is null)
            {
                return null;
            }

            state.Contributions.Add(before with { Version = alert.Version, Lifted = true });
        }
        else
        {
            var districts = LAlertDistricts.Resolve(alert, areas, Targeting, Who.MunicipalityCode);
            if (districts.Count == 0)
            {
                return null;
            }

            state.Contributions.Add(new EvacuationContribution(alert.Id, alert.Version, sort, level, districts,
                before is not null && before.Sort == sort && !before.Lifted ? before.At : now, false,
                [.. (before?.Ever ?? []).Concat(before?.Districts.Select(d => d.Key) ?? []).Concat(districts.Select(d => d.Key)).Distinct()]));
        }

        var entries = Entries(state, withdrawn, now);
        var issued = entries.Any(e => e.Issued);
        if (doc is null && !issued)
        {
            // Nothing in force and no document open: a lift or a change of something never published.
            return null;
        }

        if (errata is null && SameEntries(state.Published, entries))
        {
            if (doc is not null)
            {
                await records.SaveStateAsync(tx, doc.Id, JsonSerializer.Serialize(state, StateJson), cancellationToken);
            }

            return null;
        }

        state.DisasterName ??= _options.DisasterName ?? alert.Event;
        var revision = (doc?.Revision ?? 0) + 1;
        var id = doc?.Id ?? Guid.NewGuid().ToString();
        var withdrawAll = errata is not null && entries.Count == 0;
        var type = withdrawAll ? "Cancel" : revision == 1 ? "Report" : "Update";
        state.Published = entries;
        var prefix = Prefix(status) + (errata is null ? "" : "【訂正】");
        var headline = withdrawAll
            ? $"{Prefix(status)}{Who.MunicipalityName}の先の発表は誤りのため取り消します。"
            : prefix + Summary(entries);
        var header = new LAlertHeader(id, revision, type, status, Guid.NewGuid().ToString(), now, doc?.FirstCreated ?? now,
            Prefix(status) + Who.MunicipalityName + " 避難情報", headline, state.DisasterName, errata);
        var levels = _options.SortNames.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        return await PublishAsync(tx, header, LAlertCategories.Evacuation, LAlertDocumentWriter.Evacuation(header, Who, entries, levels),
            alert.Id, alert.Version, scope, JsonSerializer.Serialize(state, StateJson), issued, cancellationToken);
    }

    /// <summary>
    /// The document's entries now: every 地区 some alert still orders, at the strongest order over it; every 地区 published as ordered
    /// (or already lifted) that no alert orders any more, as 解除 — except those only a withdrawn alert ordered, which simply go.
    /// Once nothing is ordered the 解除 entries are the last word and the document ends.
    /// </summary>
    private static List<EvacuationEntry> Entries(EvacuationState state, HashSet<string> withdrawn, DateTimeOffset now)
    {
        var issued = new Dictionary<string, EvacuationEntry>(StringComparer.Ordinal);
        var level = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in state.Contributions.Where(c => !c.Lifted).OrderByDescending(c => c.Level))
        {
            foreach (var d in c.Districts)
            {
                if (!level.TryGetValue(d.Key, out var l) || c.Level > l)
                {
                    level[d.Key] = c.Level;
                    issued[d.Key] = new EvacuationEntry(d, c.Sort, true, c.At);
                }
            }
        }

        var liftedBy = state.Contributions.Where(c => c.Lifted).SelectMany(c => c.Districts.Select(d => d.Key)).ToHashSet(StringComparer.Ordinal);
        var entries = issued.Values.ToList();
        foreach (var was in state.Published.Where(p => !issued.ContainsKey(p.District.Key)))
        {
            if (withdrawn.Contains(was.District.Key) && !liftedBy.Contains(was.District.Key))
            {
                continue;
            }

            entries.Add(was.Issued ? was with { Issued = false, At = now } : was);
        }

        // Contributions that are lifted and no longer published need not be remembered.
        state.Contributions.RemoveAll(c => c.Lifted && issued.Count == 0);
        return entries;
    }

    private async Task<long?> ApplyGeneralAsync(IStoreTransaction tx, string scope, AlertDocument alert, CancellationToken cancellationToken)
    {
        var status = alert.Status.ToString();
        var doc = await records.FindOpenDocumentAsync(tx, scope, cancellationToken);
        if (doc is null && alert.MsgType == MsgType.Cancel)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var m = MessageRenderer.Render(alert, "ja", new Core.Delivery.ChannelLimits(1, 200, 4000, 1));
        var revision = (doc?.Revision ?? 0) + 1;
        var cancel = alert.MsgType == MsgType.Cancel;
        var type = cancel ? "Cancel" : revision == 1 ? "Report" : "Update";
        var entry = new GeneralEntry(alert.Severity switch
        {
            Severity.Extreme or Severity.Severe => "Alert",
            Severity.Moderate => "Disaster",
            _ => "Ordinary",
        }, "生活情報", "その他", m.Headline, (m.Body + (m.Instruction is null ? "" : "\n" + m.Instruction)).Trim(),
            $"{hub.Value.PublicBaseUrl.TrimEnd('/')}/t/{alert.Id[..Math.Min(12, alert.Id.Length)]}");
        var header = new LAlertHeader(doc?.Id ?? Guid.NewGuid().ToString(), revision, type, status, Guid.NewGuid().ToString(), now, doc?.FirstCreated ?? now,
            Prefix(status) + Who.MunicipalityName + " お知らせ", m.Headline, _options.DisasterName ?? alert.Event,
            cancel ? ("先のお知らせは取り消されました。", now) : null);
        return await PublishAsync(tx, header, LAlertCategories.General, LAlertDocumentWriter.General(header, Who, entry), alert.Id, alert.Version,
            scope, "{}", stillOpen: !cancel && !alert.AllClear, cancellationToken);
    }

    private async Task<long> PublishAsync(IStoreTransaction tx, LAlertHeader header, string category, byte[] xml, string? alertId, int? alertVersion,
        string scope, string state, bool stillOpen, CancellationToken cancellationToken) =>
        await records.PublishAsync(tx, new LAlertNewRevision(header.DocumentId, header.Revision, scope, category, header.Status, header.DistributionType,
            header.DistributionId, header.Headline, alertId, alertVersion, xml, state, stillOpen, header.FirstCreated, time.GetUtcNow(),
            [.. _options.Nodes.Select(n => n.Name)]), cancellationToken);

    private static bool SameEntries(List<EvacuationEntry> a, List<EvacuationEntry> b) =>
        a.Count == b.Count && a.Select(e => (e.District.Key, e.Sort, e.Issued)).ToHashSet().SetEquals(b.Select(e => (e.District.Key, e.Sort, e.Issued)));

    private static bool SameShelters(List<ShelterEntry> a, List<ShelterEntry> b) =>
        a.Count == b.Count && a.Select(e => (e.Id, e.Name, e.Sort, e.Status, e.Capacity, e.HeadCount)).ToHashSet()
            .SetEquals(b.Select(e => (e.Id, e.Name, e.Sort, e.Status, e.Capacity, e.HeadCount)));

    private string Summary(List<EvacuationEntry> entries) => string.Join(" ", entries
        .GroupBy(e => (e.Sort, e.Issued))
        .OrderByDescending(g => g.Key.Issued).ThenByDescending(g => _options.SortNames.FirstOrDefault(kv => kv.Value == g.Key.Sort).Key)
        .Select(g => $"{g.Key.Sort} {(g.Key.Issued ? "発令" : "解除")} {g.Count()}地区（{Names(g.Select(e => e.District))}）"));

    private string Names(IEnumerable<LAlertDistrict> districts)
    {
        var names = districts.Select(d => d.WholeMunicipality ? Who.MunicipalityName + "全域" : d.Name).Distinct().ToList();
        return names.Count <= 5 ? string.Join("、", names) : $"{string.Join("、", names.Take(5))} ほか{names.Count - 5}地区";
    }

    private static string Prefix(string status) => status switch
    {
        "Exercise" => "【訓練】",
        "Test" => "【試験】",
        _ => "",
    };
}
