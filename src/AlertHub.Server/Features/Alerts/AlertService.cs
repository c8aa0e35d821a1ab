using AlertHub.Core.Storage;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Alerts;

/// <summary>
/// Issue, update and cancel. Each writes a new immutable version together with its outbox rows, then wakes
/// the channel workers; nothing is sent before the work is durable.
/// </summary>
internal sealed class AlertService(
    AlertRecords store,
    IOutboxStore outbox,
    TargetingService targeting,
    ChannelRegistry channels,
    DeliverySignals signals,
    IStaffEvents staff,
    IEnumerable<IBroadcastChannel> broadcastChannels,
    AlertImageStore images,
    AlertQueueing queueing,
    IOptions<AlertsOptions> options,
    AlertHubTelemetry telemetry,
    TimeProvider time) : IDisposable
{
    // Updates and cancels of one hub are serialised so versions never race; issuing new alerts is not.
    private readonly SemaphoreSlim _versionLock = new(1, 1);

    public void Dispose() => _versionLock.Dispose();

    /// <param name="approvingDraftId">The draft this issue approves: it leaves 'pending' in the same transaction, so
    /// concurrent approvals issue once (the others get 409 <c>alerts.draft_already_decided</c>).</param>
    /// <param name="bypassReason">Issued directly although a second person's approval is the rule (<see cref="AlertsOptions.RequireApproval"/>):
    /// why. Audited in the issuing transaction, so an alert is never issued without its bypass line, nor answered as failed
    /// after it was issued because that line could not be written.</param>
    public Task<IssuedAlert> IssueAsync(AlertRequest request, string actor, CancellationToken cancellationToken, string? approvingDraftId = null,
        string? bypassReason = null) =>
        IssueCoreAsync(request, actor, approvingDraftId, bypassReason, rehearsal: false, cancellationToken);

    /// <summary>
    /// Runs <see cref="IssueAsync(AlertRequest, string, CancellationToken, string?)"/> for <paramref name="request"/> to the
    /// end, then rolls its transaction back: nothing is stored, queued, woken, published or counted. See <see cref="IssueRehearsal"/>.
    /// </summary>
    internal Task<IssuedAlert> RehearseIssueAsync(AlertRequest request, CancellationToken cancellationToken) =>
        IssueCoreAsync(request, IssueRehearsal.Actor, approvingDraftId: null, bypassReason: null, rehearsal: true, cancellationToken);

    private async Task<IssuedAlert> IssueCoreAsync(AlertRequest request, string actor, string? approvingDraftId, string? bypassReason, bool rehearsal,
        CancellationToken cancellationToken)
    {
        if (request.MsgType is MsgType.Update or MsgType.Cancel)
        {
            throw new RequestValidationException(Problems.AlertInvalid, "Use POST /api/alerts/{id}/update or /cancel for msgType Update or Cancel.");
        }

        if (request.Status is not AlertStatus status)
        {
            throw new RequestValidationException(Problems.AlertInvalid, "status is required: Actual, Exercise or Test.");
        }

        var now = time.GetUtcNow();
        var texts = ValidateTexts(request.Texts, required: true);
        var eventName = ValidateEvent(request.Event);
        CheckNotExpired(request.Expires, now);
        var escalation = ValidateEscalation(request.Escalation);
        var allowed = ResolveChannels(escalation?.Channels ?? request.Channels);
        var includeLocations = request.IncludeCurrentLocations ?? true;
        var result = targeting.Query(request.Area, request.Audience, allowed, includeLocations, collect: true);
        var standIns = rehearsal && result.Recipients == 0;
        if (standIns)
        {
            result = IssueRehearsal.WithStandIns(result, allowed);
        }

        // Last check before storing: an unknown picture refuses the whole alert, and a copy is only made for a valid one.
        var image = request.Image is null ? null : await images.CreateAsync(request.Image, actor, cancellationToken);
        var id = Guid.NewGuid().ToString("N");
        var severity = request.Severity ?? Severity.Unknown;
        var urgency = request.Urgency ?? Urgency.Unknown;
        var areaName = targeting.DescribeAreaName(request.Area);
        var document = new AlertDocument(id, 1, Identifier(id, 1), options.Value.Sender, now, status, MsgType.Alert, eventName, severity, urgency,
            request.Certainty ?? Certainty.Unknown, request.Area!, areaName, request.Audience, request.Channels, WithArea(texts, areaName),
            LanguageFallback(request.LanguageFallback), request.Expires, [], includeLocations, AlertDocument.PriorityOf(severity, urgency), escalation,
            request.SourceEventId, Image: image);
        var issued = await StoreAsync(document, RecipientRule.Targeted, result, allowed, actor, cancellationToken, approvingDraftId, rehearsal,
            bypassReason is null ? null : new AuditLine("alerts.issue.bypass", document.Id, bypassReason));
        return issued with
        {
            Timings = issued.Timings! with { TargetingMs = Math.Round(result.Elapsed.TotalMilliseconds, 2) },
            Warnings = standIns ? [IssueRehearsal.StandInsWarning] : issued.Warnings,
        };
    }

    /// <summary>
    /// What in an update needs a second person under <see cref="AlertsOptions.RequireApproval"/>: the texts or the
    /// hazard change, the severity goes up, or the area, audience or channels reach a resident the current version
    /// does not (both compared now, so people who registered meanwhile do not count as a widening). Empty: nothing
    /// that needs approval (an expiry, a picture, a narrower area). Null: no such alert.
    /// </summary>
    public async Task<IReadOnlyList<string>?> ChangesNeedingApprovalAsync(string id, AlertUpdateRequest request, CancellationToken cancellationToken)
    {
        var current = await CurrentAsync(id, cancellationToken);
        if (current is null)
        {
            return null;
        }

        var changes = new List<string>();
        if (request.Texts is not null && !SameTexts(request.Texts, current.Texts))
        {
            changes.Add("texts");
        }

        if (request.Event is not null && !string.Equals(request.Event.Trim(), current.Event, StringComparison.Ordinal))
        {
            changes.Add("event");
        }

        if (request.Severity is { } severity && severity > current.Severity)
        {
            changes.Add("severity");
        }

        if (request.Area is not null || request.Audience is not null || request.Channels is not null)
        {
            var before = targeting.Query(current.Area, current.Audience, ResolveChannels(current.Escalation?.Channels ?? current.Channels),
                current.IncludeCurrentLocations, collect: true).RecipientIds.ToHashSet();
            var after = targeting.Query(request.Area ?? current.Area, request.Audience ?? current.Audience,
                ResolveChannels(current.Escalation?.Channels ?? request.Channels ?? current.Channels), current.IncludeCurrentLocations, collect: true);
            if (after.RecipientIds.Any(r => !before.Contains(r)))
            {
                changes.Add("area");
            }
        }

        return changes;
    }

    private static bool SameTexts(Dictionary<string, AlertText> given, Dictionary<string, AlertText> current) =>
        given.Count == current.Count && given.All(kv => current.TryGetValue(kv.Key, out var c)
            && string.Equals(kv.Value?.Headline, c.Headline, StringComparison.Ordinal)
            && string.Equals(kv.Value?.Body, c.Body, StringComparison.Ordinal)
            && string.Equals(kv.Value?.Instruction, c.Instruction, StringComparison.Ordinal));

    /// <param name="approvingDraftId">The update draft this approves (see <see cref="IssueAsync"/>).</param>
    /// <param name="bypass">Updated directly although it needs a second person's approval: what it changes and why, audited in
    /// the updating transaction (as <see cref="IssueAsync"/>'s bypass).</param>
    public async Task<IssuedAlert?> UpdateAsync(string id, AlertUpdateRequest request, string actor, CancellationToken cancellationToken,
        string? approvingDraftId = null, string? bypass = null)
    {
        await _versionLock.WaitAsync(cancellationToken);
        try
        {
            var current = await CurrentAsync(id, cancellationToken);
            if (current is null)
            {
                return null;
            }

            var now = time.GetUtcNow();
            var texts = request.Texts is null ? current.Texts : ValidateTexts(request.Texts, required: true);
            var expires = request.Expires ?? current.Expires;
            CheckNotExpired(expires, now);
            var area = request.Area ?? current.Area;
            var audience = request.Audience ?? current.Audience;
            var channelNames = request.Channels ?? current.Channels;
            var allowed = ResolveChannels(current.Escalation?.Channels ?? channelNames);
            var result = targeting.Query(area, audience, allowed, current.IncludeCurrentLocations, collect: true);
            var image = request.Image is null ? current.Image : await images.CreateAsync(request.Image, actor, cancellationToken);
            var severity = request.Severity ?? current.Severity;
            var urgency = request.Urgency ?? current.Urgency;
            var version = current.Version + 1;
            var areaName = targeting.DescribeAreaName(area);
            var document = current with
            {
                Version = version,
                Identifier = Identifier(id, version),
                Sent = now,
                MsgType = MsgType.Update,
                Event = request.Event is null ? current.Event : ValidateEvent(request.Event),
                Severity = severity,
                Urgency = urgency,
                Certainty = request.Certainty ?? current.Certainty,
                Area = area,
                AreaName = areaName,
                Audience = audience,
                Channels = channelNames,
                Texts = request.Texts is null ? texts : WithArea(texts, areaName),
                Expires = expires,
                References = [.. current.References, Reference(current)],
                Priority = AlertDocument.PriorityOf(severity, urgency),
                SourceEventId = request.SourceEventId ?? current.SourceEventId,
                Image = image,
            };
            return await StoreAsync(document, RecipientRule.TargetedAndPrevious, result, allowed, actor, cancellationToken, approvingDraftId,
                alsoAudit: bypass is null ? null : new AuditLine("alerts.update.bypass", $"{document.Id}#{document.Version}", bypass));
        }
        finally
        {
            _versionLock.Release();
        }
    }

    public async Task<IssuedAlert?> CancelAsync(string id, AlertCancelRequest? request, string actor, CancellationToken cancellationToken)
    {
        await _versionLock.WaitAsync(cancellationToken);
        try
        {
            var current = await CurrentAsync(id, cancellationToken, forCancel: true);
            if (current is null)
            {
                return null;
            }

            var texts = request?.Texts is { Count: > 0 } given
                ? WithArea(ValidateTexts(given, required: true), current.AreaName)
                : current.Texts.ToDictionary(kv => kv.Key, kv => CancelText(kv.Key, kv.Value));
            var version = current.Version + 1;
            var document = current with
            {
                Version = version,
                Identifier = Identifier(id, version),
                Sent = time.GetUtcNow(),
                MsgType = MsgType.Cancel,
                Texts = texts,
                References = [.. current.References, Reference(current)],
                // A retraction must still arrive even if the original had expired meanwhile.
                Expires = null,
            };
            var allowed = ResolveChannels(current.Escalation?.Channels ?? current.Channels);
            // A retraction goes out on every channel at once: no escalation steps.
            return await StoreAsync(document with { Escalation = null }, RecipientRule.PreviouslyDelivered, null, allowed, actor, cancellationToken);
        }
        finally
        {
            _versionLock.Release();
        }
    }

    /// <param name="forCancel">A cancel may still follow an all-clear (the alert was wrong from the start); nothing else may.</param>
    private async Task<AlertDocument?> CurrentAsync(string id, CancellationToken cancellationToken, bool forCancel = false)
    {
        var head = await store.GetHeadAsync(id, cancellationToken);
        if (head is null)
        {
            return null;
        }

        if (head.Value.State == "cancelled")
        {
            throw new RequestValidationException(Problems.AlertAlreadyCancelled, $"Alert {id} has been cancelled; issue a new alert instead.") { Status = 409 };
        }

        if (head.Value.State == "ended" && !forCancel)
        {
            throw new RequestValidationException(Problems.AlertAlreadyEnded, $"Alert {id} has ended (all-clear sent); issue a new alert instead.") { Status = 409 };
        }

        return await store.GetVersionAsync(id, head.Value.CurrentVersion, cancellationToken);
    }

    private async Task<IssuedAlert> StoreAsync(AlertDocument document, RecipientRule rule, Core.Targeting.TargetResult? targeted,
        IReadOnlyCollection<string> allowed, string actor, CancellationToken cancellationToken, string? approvingDraftId = null, bool rehearsal = false,
        AuditLine? alsoAudit = null)
    {
        var broadcast = broadcastChannels
            .Where(b => allowed.Contains(b.Name) && b.Publishes(document))
            .SelectMany(b => b.Targets.Select(t => (b.Name, t.Id)))
            .ToList();
        var enqueue = new OutboxEnqueue(document.Id, document.Version, document.Priority, rule, time.GetUtcNow().ToUnixTimeMilliseconds(),
            targeted?.RecipientsByChannel ?? new Dictionary<string, IReadOnlyList<Guid>>(), allowed, document.Escalation?.Channels,
            (long)TimeSpan.FromMinutes(document.Escalation?.StepMinutes ?? 5).TotalMilliseconds, broadcast,
            resident => targeting.Index.ChannelsOf(resident, allowed),
            channel => channels.IsKnown(channel) ? channels.Get(channel).Limits.MaxBatchSize : 500)
        {
            BroadcastChannels = broadcastChannels.Select(b => b.Name).ToHashSet(StringComparer.OrdinalIgnoreCase),
        };
        var writeStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var (first, later) = queueing.Split(enqueue, targeted?.RecipientIds ?? []);
        // Held from before the version is committed (unfinished) until its last part is queued: no other node finishes it meanwhile.
        var queueingLock = later is null || rehearsal ? null : await queueing.HoldQueueingAsync(document.Id, document.Version, cancellationToken);
        int recipients;
        Dictionary<string, int> byChannel;
        try
        {
            (recipients, byChannel) = await store.InsertVersionAsync(document, first, actor, cancellationToken, approvingDraftId,
                queuedInFull: later is null, laterRecipients: later?.Count ?? 0, rehearsal, alsoAudit);
        }
        catch
        {
            if (queueingLock is not null)
            {
                await queueingLock.DisposeAsync();
            }

            throw;
        }

        if (rehearsal)
        {
            // What the workers will do first with a real alert: one rendering per channel and language.
            foreach (var channel in channels.All)
            {
                foreach (var language in document.Texts.Keys)
                {
                    MessageRenderer.Render(document, language, channel.Limits);
                }
            }

            return new IssuedAlert(document.Id, document.Version, document.MsgType.ToString(), "rehearsed", recipients, byChannel, [])
                { Timings = new IssueTimings(0, Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(writeStarted).TotalMilliseconds, 2)) };
        }

        if (later is not null)
        {
            // The rest is queued while the first part is already being sent; the answer reports the whole fan-out: the
            // first part's counts (broadcast accounts and an update's earlier recipients included) plus the later parts'.
            queueing.ContinueInBackground(enqueue, later, queueingLock!);
            foreach (var (channel, all) in targeted!.RecipientsByChannel)
            {
                var inFirst = first.Targeted.TryGetValue(channel, out var part) ? part.Count : 0;
                if (all.Count > inFirst)
                {
                    byChannel[channel] = byChannel.GetValueOrDefault(channel) + all.Count - inFirst;
                }
            }
        }

        var outboxWriteMs = System.Diagnostics.Stopwatch.GetElapsedTime(writeStarted).TotalMilliseconds;
        telemetry.AlertsIssued.Add(1, new("status", document.Status.ToString()), new("msgType", document.MsgType.ToString()));
        telemetry.OutboxWritten.Add(byChannel.Values.Sum());
        foreach (var channel in byChannel.Keys)
        {
            signals.Wake(channel);
        }

        var warnings = recipients == 0 ? new[] { "targeting.no_recipients" } : [];
        var issued = new IssuedAlert(document.Id, document.Version, document.MsgType.ToString(),
            document.MsgType == MsgType.Cancel ? "cancelled" : document.AllClear ? "ended" : "issued",
            recipients, byChannel, warnings) { Timings = new IssueTimings(0, Math.Round(outboxWriteMs, 2)) };
        await staff.AlertIssuedAsync(new AlertIssuedEvent(issued.Id, issued.Version, issued.MsgType, document.Status.ToString(), document.Event,
            document.Severity.ToString(), document.AreaName, issued.Recipients, issued.ByChannel, document.Sent, document.Image?.Url), cancellationToken);

        return issued;
    }

    /// <summary>
    /// The hazard is over: a last version (msgType Update, marked 【解除】) sent only to the (resident, channel)
    /// pairs an earlier version reached. Nobody who was never warned hears of an all-clear.
    /// </summary>
    public async Task<IssuedAlert?> AllClearAsync(string id, Dictionary<string, AlertText>? texts, string? sourceEventId, string actor, CancellationToken cancellationToken)
    {
        await _versionLock.WaitAsync(cancellationToken);
        try
        {
            var current = await CurrentAsync(id, cancellationToken);
            if (current is null)
            {
                return null;
            }

            var version = current.Version + 1;
            var document = current with
            {
                Version = version,
                Identifier = Identifier(id, version),
                Sent = time.GetUtcNow(),
                MsgType = MsgType.Update,
                AllClear = true,
                // Staff may write their own words; otherwise each language the alert was sent in gets a plain "lifted".
                Texts = texts is { Count: > 0 }
                    ? WithArea(ValidateTexts(texts, required: true), current.AreaName)
                    : current.Texts.ToDictionary(kv => kv.Key, kv => AllClearText(kv.Key, kv.Value)),
                References = [.. current.References, Reference(current)],
                Expires = null,
                Escalation = null,
                SourceEventId = sourceEventId ?? current.SourceEventId,
            };
            var allowed = ResolveChannels(current.Escalation?.Channels ?? current.Channels);
            return await StoreAsync(document, RecipientRule.PreviouslyDelivered, null, allowed, actor, cancellationToken);
        }
        finally
        {
            _versionLock.Release();
        }
    }

    /// <summary>Updates an alert from a feed event (a higher warning, more areas): same people plus anyone newly inside.</summary>
    public Task<IssuedAlert?> UpdateFromEventAsync(string id, AlertRequest request, string actor, CancellationToken cancellationToken) =>
        UpdateAsync(id, new AlertUpdateRequest(request.Event, request.Severity, request.Urgency, request.Certainty, request.Area, request.Audience,
            request.Channels, request.Texts, request.Expires) { SourceEventId = request.SourceEventId, Image = request.Image }, actor, cancellationToken);

    /// <summary>Records an acknowledgement and stops the resident's remaining escalation steps for this alert.</summary>
    public async Task<AckResult?> AcknowledgeAsync(string alertId, Guid residentId, string via, CancellationToken cancellationToken)
    {
        if (!await store.AcknowledgeAsync(alertId, residentId, via, cancellationToken))
        {
            return null;
        }

        var stopped = await outbox.StopForAcknowledgementAsync(alertId, residentId, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        return new AckResult(alertId, residentId, stopped);
    }

    /// <summary>
    /// The version a send would store — built as issuing, updating, cancelling or clearing builds it, stored nowhere — rendered
    /// per channel and language by <see cref="MessageRenderer"/> with each channel's limits, with who it would reach. The
    /// confirmation screen shows exactly this, so staff never approve or send blind. Null: no such alert.
    /// </summary>
    public async Task<RenderPreview?> PreviewAsync(RenderPreviewRequest request, CancellationToken cancellationToken)
    {
        var kind = request.Kind?.Trim() ?? "alert";
        AlertDocument document;
        PreviewReach reach;
        IReadOnlyCollection<string> allowed;
        IReadOnlyList<string>? needsApproval = null;
        if (kind == "alert")
        {
            var r = request.Alert ?? throw new RequestValidationException(Problems.AlertInvalid, "alert is required: the body of POST /api/alerts.");
            if (r.Status is not AlertStatus status)
            {
                throw new RequestValidationException(Problems.AlertInvalid, "alert.status is required: Actual, Exercise or Test.");
            }

            var escalation = ValidateEscalation(r.Escalation);
            allowed = ResolveChannels(escalation?.Channels ?? r.Channels);
            var includeLocations = r.IncludeCurrentLocations ?? true;
            var severity = r.Severity ?? Severity.Unknown;
            var urgency = r.Urgency ?? Urgency.Unknown;
            // The texts may still be half-written while staff type: render what is there.
            var texts = ValidateTexts(r.Texts, required: true);
            var areaName = "";
            reach = new PreviewReach("targeted", null, null, null, null, null, null);
            if (r.Area is not null)
            {
                var result = targeting.Query(r.Area, r.Audience, allowed, includeLocations, collect: false);
                areaName = targeting.DescribeAreaName(r.Area);
                reach = reach with
                {
                    Recipients = result.Recipients, Targeted = result.Recipients, Unreachable = result.Unreachable, ByChannel = result.ByChannel,
                    ByArea = targeting.DescribeAreas(r.Area, result),
                };
            }

            document = new AlertDocument("preview", 1, Identifier("preview", 1), options.Value.Sender, time.GetUtcNow(), status, MsgType.Alert,
                string.IsNullOrWhiteSpace(r.Event) ? "" : ValidateEvent(r.Event), severity, urgency, r.Certainty ?? Certainty.Unknown,
                r.Area ?? new AreaSpec(null, null, null, null), areaName, r.Audience, r.Channels, texts, LanguageFallback(r.LanguageFallback), r.Expires, [],
                includeLocations, AlertDocument.PriorityOf(severity, urgency), escalation);
        }
        else if (kind is "update" or "cancel" or "allClear")
        {
            var id = request.AlertId ?? throw new RequestValidationException(Problems.AlertInvalid, $"alertId is required for kind {kind}.");
            var current = await CurrentAsync(id, cancellationToken, forCancel: kind == "cancel");
            if (current is null)
            {
                return null;
            }

            var previous = new Dictionary<string, long>(StringComparer.Ordinal);
            if (kind == "update")
            {
                var u = request.Update ?? new AlertUpdateRequest(null, null, null, null, null, null, null, null, null);
                var area = u.Area ?? current.Area;
                var audience = u.Audience ?? current.Audience;
                var channelNames = u.Channels ?? current.Channels;
                allowed = ResolveChannels(current.Escalation?.Channels ?? channelNames);
                var result = targeting.Query(area, audience, allowed, current.IncludeCurrentLocations, collect: true);
                var severity = u.Severity ?? current.Severity;
                var urgency = u.Urgency ?? current.Urgency;
                document = current with
                {
                    Version = current.Version + 1, Sent = time.GetUtcNow(), MsgType = MsgType.Update,
                    Event = u.Event is null ? current.Event : ValidateEvent(u.Event), Severity = severity, Urgency = urgency,
                    Certainty = u.Certainty ?? current.Certainty, Area = area, AreaName = targeting.DescribeAreaName(area), Audience = audience,
                    Channels = channelNames, Texts = u.Texts is null ? current.Texts : ValidateTexts(u.Texts, required: true), Expires = u.Expires ?? current.Expires,
                    Priority = AlertDocument.PriorityOf(severity, urgency),
                };
                // Everyone the current version was queued for hears the update again, on the channels they had.
                foreach (var (version, channel, delivery) in await outbox.VersionCountsAsync(id, cancellationToken))
                {
                    if (version == current.Version)
                    {
                        previous[channel] = delivery.Targeted;
                    }
                }

                var everyone = result.RecipientIds.ToHashSet();
                everyone.UnionWith(await outbox.EarlierResidentsAsync(id, cancellationToken));
                everyone.ExceptWith(broadcastChannels.SelectMany(b => b.Targets.Select(t => t.Id)));
                reach = new PreviewReach("targetedAndPrevious", everyone.Count, result.Recipients, result.Unreachable, result.ByChannel,
                    targeting.DescribeAreas(area, result), previous);
                needsApproval = options.Value.RequireApproval ? await ChangesNeedingApprovalAsync(id, u, cancellationToken) : [];
            }
            else
            {
                allowed = ResolveChannels(current.Escalation?.Channels ?? current.Channels);
                var given = request.Texts is { Count: > 0 } t ? ValidateTexts(t, required: true) : null;
                document = current with
                {
                    Version = current.Version + 1, Sent = time.GetUtcNow(), MsgType = kind == "cancel" ? MsgType.Cancel : MsgType.Update,
                    AllClear = kind == "allClear", Expires = null, Escalation = null,
                    Texts = given ?? current.Texts.ToDictionary(kv => kv.Key, kv => kind == "cancel" ? CancelText(kv.Key, kv.Value) : AllClearText(kv.Key, kv.Value)),
                };
                var people = new HashSet<Guid>();
                var accounts = broadcastChannels.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var (channel, pairs) in await outbox.ReachedAsync(id, cancellationToken))
                {
                    if (allowed.Contains(channel))
                    {
                        previous[channel] = pairs.Count;
                        if (!accounts.Contains(channel))
                        {
                            people.UnionWith(pairs);
                        }
                    }
                }

                reach = new PreviewReach("previouslyReached", people.Count, null, null, null, null, previous);
            }
        }
        else
        {
            throw new RequestValidationException(Problems.AlertInvalid, "kind is alert, update, cancel or allClear.");
        }

        var broadcast = broadcastChannels.ToDictionary(b => b.Name, StringComparer.Ordinal);
        var renderings = new List<ChannelRendering>();
        foreach (var name in allowed.Order(StringComparer.Ordinal))
        {
            var channel = channels.Get(name);
            var full = new ChannelLimits(1, int.MaxValue, int.MaxValue, 1);
            var texts = document.Texts.Keys.Select(language =>
            {
                var m = MessageRenderer.Render(document, language, channel.Limits);
                var whole = MessageRenderer.Render(document, language, full);
                return new RenderedText(m.Language, m.Headline, m.Body, m.Instruction,
                    m.Headline != whole.Headline || m.Body != whole.Body || m.Instruction != whole.Instruction);
            }).ToList();
            renderings.Add(new ChannelRendering(name, channel.Limits.MaxTitleLength, channel.Limits.MaxBodyLength, broadcast.ContainsKey(name),
                !broadcast.TryGetValue(name, out var b) || b.Publishes(document), texts));
        }

        var warnings = document.Texts.SelectMany(kv => MessageRenderer.TypedMarkers(document, kv.Value)
            .Select(w => new TextWarning(w.Code, kv.Key, w.Field, w.Marker))).ToList();
        return new RenderPreview(kind, document.Status.ToString(), document.MsgType.ToString(), document.AllClear, document.Event, document.Severity.ToString(),
            document.Urgency.ToString(), document.Certainty.ToString(), document.Area, document.AreaName, document.Audience, [.. allowed.Order(StringComparer.Ordinal)],
            [.. document.Texts.Keys], renderings, warnings, reach, needsApproval);
    }

    private EscalationPolicy? ValidateEscalation(EscalationPolicy? policy)
    {
        if (policy is null)
        {
            return null;
        }

        if (policy.Channels is not { Length: > 0 } || policy.Channels.Distinct().Count() != policy.Channels.Length)
        {
            throw new RequestValidationException(Problems.AlertInvalid, "escalation.channels must list distinct channels in order, e.g. [\"line\", \"fcm\", \"email\"].");
        }

        if (policy.StepMinutes is { } step && (step < 0 || step > 24 * 60))
        {
            throw new RequestValidationException(Problems.AlertInvalid, "escalation.stepMinutes must be between 0 and 1440.");
        }

        return policy with { StepMinutes = policy.StepMinutes ?? 5 };
    }

    private IReadOnlyCollection<string> ResolveChannels(string[]? requested)
    {
        if (requested is null || requested.Length == 0)
        {
            return channels.Names;
        }

        foreach (var name in requested)
        {
            if (!channels.IsKnown(name))
            {
                throw new RequestValidationException(Problems.AlertChannelUnknown, $"Channel '{name}' is not enabled. Enabled: {string.Join(", ", channels.Names)}.");
            }
        }

        return requested.Distinct().ToArray();
    }

    private Dictionary<string, AlertText> ValidateTexts(Dictionary<string, AlertText>? texts, bool required)
    {
        if (texts is null || texts.Count == 0)
        {
            if (required)
            {
                throw new RequestValidationException(Problems.AlertTextMissing, "texts needs at least one language, e.g. {\"ja\": {\"headline\": \"…\", \"body\": \"…\"}}.");
            }

            return [];
        }

        var o = options.Value;
        foreach (var (language, text) in texts)
        {
            if (text is null || (string.IsNullOrWhiteSpace(text.Headline) && string.IsNullOrWhiteSpace(text.Body)))
            {
                throw new RequestValidationException(Problems.AlertTextMissing, $"texts.{language} needs a headline or a body.");
            }

            if ((text.Headline?.Length ?? 0) > o.MaxHeadlineLength || (text.Body?.Length ?? 0) > o.MaxBodyLength || (text.Instruction?.Length ?? 0) > o.MaxBodyLength)
            {
                throw new RequestValidationException(Problems.AlertInvalid,
                    $"texts.{language}: headline ≤ {o.MaxHeadlineLength}, body and instruction ≤ {o.MaxBodyLength} characters.");
            }
        }

        return new Dictionary<string, AlertText>(texts, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Staff texts may write <c>{area}</c> where the area's name belongs (「{area}に避難指示を発令しました。」): it is filled in once,
    /// when the version is stored, so every channel, the inbox and the CAP feed read the same words.
    /// </summary>
    internal static Dictionary<string, AlertText> WithArea(Dictionary<string, AlertText> texts, string areaName)
    {
        const string Placeholder = "{area}";
        var name = string.IsNullOrEmpty(areaName) ? "指定区域" : areaName;
        if (!texts.Values.Any(t => (t.Headline?.Contains(Placeholder, StringComparison.Ordinal) ?? false)
                || (t.Body?.Contains(Placeholder, StringComparison.Ordinal) ?? false) || (t.Instruction?.Contains(Placeholder, StringComparison.Ordinal) ?? false)))
        {
            return texts;
        }

        return new Dictionary<string, AlertText>(texts.Select(kv => KeyValuePair.Create(kv.Key, new AlertText(
            kv.Value.Headline?.Replace(Placeholder, name, StringComparison.Ordinal), kv.Value.Body?.Replace(Placeholder, name, StringComparison.Ordinal),
            kv.Value.Instruction?.Replace(Placeholder, name, StringComparison.Ordinal)))), StringComparer.OrdinalIgnoreCase);
    }

    private static string ValidateEvent(string? eventName) =>
        string.IsNullOrWhiteSpace(eventName) || eventName.Length > 100
            ? throw new RequestValidationException(Problems.AlertInvalid, "event is required (at most 100 characters), e.g. 洪水 or 土砂災害.")
            : eventName.Trim();

    private static void CheckNotExpired(DateTimeOffset? expires, DateTimeOffset now)
    {
        if (expires is { } e && e <= now)
        {
            throw new RequestValidationException(Problems.AlertExpired, $"expires ({e:O}) is in the past; an expired alert is not sent.") { Status = 422 };
        }
    }

    private string[] LanguageFallback(string[]? requested) => requested is { Length: > 0 } ? requested : [.. options.Value.LanguageFallback];

    private static string Identifier(string id, int version) => $"urn:alerthub:{id}:{version}";

    private static string Reference(AlertDocument document) => $"{document.Sender},{document.Identifier},{AlertDocument.CapTime(document.Sent)}";

    // The headline stays what residents saw: the renderer marks it 【解除】 / [ALL CLEAR], as it marks a cancel 【取消】.
    private static AlertText AllClearText(string language, AlertText original) => language switch
    {
        "ja-x-easy" => new AlertText(original.Headline, $"「{original.Headline ?? original.Body}」は おわりました。", null),
        _ when language.StartsWith("ja", StringComparison.OrdinalIgnoreCase) =>
            new AlertText(original.Headline, $"先に配信した「{original.Headline ?? original.Body}」は解除されました。", null),
        _ => new AlertText(original.Headline, $"\"{original.Headline ?? original.Body}\" has been lifted.", null),
    };

    private static AlertText CancelText(string language, AlertText original) => language.StartsWith("ja", StringComparison.OrdinalIgnoreCase)
        ? new AlertText(original.Headline, $"先に配信した「{original.Headline ?? original.Body}」は取り消されました。", null)
        : new AlertText(original.Headline, $"The earlier alert \"{original.Headline ?? original.Body}\" has been cancelled.", null);
}
