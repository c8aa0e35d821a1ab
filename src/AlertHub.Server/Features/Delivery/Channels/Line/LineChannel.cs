using AlertHub.Core.Delivery;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>One request to LINE: which batch items it covers and whom it addresses.</summary>
internal sealed record LineRequestPlan(LineSendMode Mode, RenderedMessage Message, IReadOnlyList<string> Recipients, IReadOnlyList<int> Items);

/// <summary>A multicast whose fate is unknown (5xx, timeout): LINE may have accepted it.</summary>
internal sealed record AmbiguousRequest(IReadOnlyList<string> Recipients, long AtMs);

/// <summary>
/// LINE Messaging API channel. A batch's items are grouped by outbox chunk and identical rendered message (alert
/// version + language); each group becomes multicast requests of ≤ 500 sorted user ids (or one push per user, or one
/// broadcast/narrowcast per alert version), each with a retry key hashed from its content — so the retry key of a
/// request follows from its outbox chunk, and any node that re-sends the chunk sends it with the same keys. LINE's answers map
/// to outcomes: 2xx and 409-with-accepted-id → Delivered, 429 → Throttled (no Retry-After from LINE: the
/// configured backoff), 5xx/timeouts → Transient, 400 → Rejected (push to an unknown user id → AddressGone).
/// Items of a multicast that ended ambiguously are retried as exactly that request again (same recipients,
/// same retry key) even when the outbox hands them back one by one, so LINE answers 409 rather than
/// delivering twice.
/// </summary>
internal sealed partial class LineChannel(LineClient client, IOptions<LineChannelOptions> options, ChannelPauses pauses, TimeProvider time, ILogger<LineChannel> logger)
    : IDeliveryChannel, IChannelHealth, IChannelSetup<LineChannelOptions>
{
    public const string ChannelName = ChannelNames.Line;

    /// <summary>
    /// The LINE client is not guarded by <c>Security:OutboundUrls</c> (its URL is the operator's own configuration); the
    /// webhook receiver is public, its signature being its authentication.
    /// </summary>
    public static void Configure(ChannelBuilder<LineChannelOptions> channel)
    {
        channel.Services.AddSingleton<LineClient>();
        channel.Services.AddSingleton<LineLinks>();
        channel.Services.AddSingleton<LineWebhook>();
        channel.AddOptionsValidator<LineOptionsValidator>()
            .AddEndpointValidator<LineEndpointValidator>()
            .AddHttpClient(guarded: false, configureHandler: (o, handler) => handler.MaxConnectionsPerServer = Math.Max(1, o.MaxConcurrency))
            .MapEndpoints(LineWebhook.Map);
    }

    private readonly LineChannelOptions _options = options.Value;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AmbiguousRequest> _ambiguous = new(StringComparer.Ordinal);
    private volatile string? _problem;

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    // 100 + 2,000 + 2,000 + separators stays well inside LINE's 5,000-character text message.
    // Unrecorded: every request in flight may carry a full multicast (a broadcast carries a whole batch).
    public ChannelLimits Limits { get; } = new(options.Value.MaxBatchSize, MaxTitleLength: 100, MaxBodyLength: 2000, MaxConcurrency: options.Value.MaxConcurrency)
    {
        MaxUnrecorded = Math.Max(options.Value.MaxConcurrency * options.Value.MulticastChunkSize, options.Value.MaxBatchSize),
    };

    public string? Problem => _problem;

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new DeliveryItemResult?[batch.Items.Count];
        PruneAmbiguous();
        var plans = Plan(batch.Items, _options, key => _ambiguous.TryGetValue(key, out var a) ? a : null);
        await Parallel.ForEachAsync(plans,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxConcurrency), CancellationToken = cancellationToken },
            async (plan, ct) =>
            {
                var planned = plan.Items.Select(i => batch.Items[i]).ToList();
                if (!await batch.AdmitAsync(planned, ct))
                {
                    return; // replaced by a newer version meanwhile: the outbox settles these
                }

                var body = LineMessages.Body(plan.Mode, plan.Recipients, plan.Message, _options);
                var key = LineMessages.RetryKey(plan.Mode, plan.Message, _options.MessageFormat, plan.Recipients);
                var answer = await client.SendAsync(plan.Mode, body, key, ct);
                var (outcome, detail, retryAfter) = Classify(plan.Mode, answer, _options.ThrottleBackoff);
                Observe(plan, answer, outcome);
                Remember(plan, batch.Items, answer, outcome);
                foreach (var i in plan.Items)
                {
                    results[i] = batch.Report(new DeliveryItemResult(batch.Items[i].WorkId, outcome, detail, retryAfter));
                }
            });
        return new DeliveryReport([.. results.OfType<DeliveryItemResult>()]);
    }

    /// <summary>Groups items by identical message and splits them into requests for the configured mode. Items
    /// <paramref name="ambiguous"/> knows (by idempotency key) go out as that earlier multicast again.</summary>
    public static IReadOnlyList<LineRequestPlan> Plan(IReadOnlyList<DeliveryItem> items, LineChannelOptions options,
        Func<string, AmbiguousRequest?>? ambiguous = null)
    {
        var plans = new List<LineRequestPlan>();
        if (options.Mode is LineSendMode.Broadcast or LineSendMode.Narrowcast)
        {
            // Everyone gets one message per alert version, whoever was targeted and in whatever language.
            foreach (var group in Enumerable.Range(0, items.Count).GroupBy(i => (items[i].Message.AlertId, items[i].Message.Version)))
            {
                var indexes = group.ToList();
                var chosen = indexes.FirstOrDefault(i => string.Equals(items[i].Message.Language, options.BroadcastLanguage, StringComparison.OrdinalIgnoreCase), indexes[0]);
                plans.Add(new LineRequestPlan(options.Mode, items[chosen].Message, [], indexes));
            }

            return plans;
        }

        var fresh = Enumerable.Range(0, items.Count).ToList();
        if (ambiguous is not null && options.Mode == LineSendMode.Multicast)
        {
            var again = new Dictionary<AmbiguousRequest, List<int>>(ReferenceEqualityComparer.Instance);
            foreach (var i in fresh)
            {
                if (ambiguous(items[i].IdempotencyKey) is { } earlier && earlier.Recipients.Contains(items[i].Address, StringComparer.Ordinal))
                {
                    (again.TryGetValue(earlier, out var list) ? list : again[earlier] = []).Add(i);
                }
            }

            foreach (var (earlier, indexes) in again)
            {
                plans.Add(new LineRequestPlan(LineSendMode.Multicast, items[indexes[0]].Message, earlier.Recipients, indexes));
            }

            var taken = again.Values.SelectMany(v => v).ToHashSet();
            fresh.RemoveAll(taken.Contains);
        }

        var chunk = Math.Clamp(options.MulticastChunkSize, 1, LineMessages.MaxMulticastRecipients);
        // Never one request across outbox chunks: a chunk a dead node had sent is re-sent by another node as the same
        // requests (same recipients, same retry keys, so LINE answers 409), whatever else that node's batch holds.
        foreach (var group in fresh.GroupBy(i => (items[i].Chunk, items[i].Message.AlertId, items[i].Message.Version, items[i].Message.Language)))
        {
            // One user id once per request, even if two residents registered the same LINE account.
            var byAddress = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
            foreach (var i in group)
            {
                if (!byAddress.TryGetValue(items[i].Address, out var list))
                {
                    byAddress[items[i].Address] = list = [];
                }

                list.Add(i);
            }

            var message = items[group.First()].Message;
            if (options.Mode == LineSendMode.Push)
            {
                foreach (var (address, indexes) in byAddress)
                {
                    plans.Add(new LineRequestPlan(LineSendMode.Push, message, [address], indexes));
                }

                continue;
            }

            foreach (var part in byAddress.Chunk(chunk))
            {
                plans.Add(new LineRequestPlan(LineSendMode.Multicast, message, [.. part.Select(p => p.Key)], [.. part.SelectMany(p => p.Value)]));
            }
        }

        return plans;
    }

    public static (DeliveryOutcome Outcome, string? Detail, TimeSpan? RetryAfter) Classify(LineSendMode mode, LineApiResult r, TimeSpan throttleBackoff)
    {
        var detail = r.Message is null ? $"HTTP {r.Status}" : $"HTTP {r.Status}: {r.Message}";
        if (r.Details is not null)
        {
            detail += $" ({r.Details})";
        }

        return r.Status switch
        {
            >= 200 and < 300 => (DeliveryOutcome.Delivered, null, null),
            409 when r.AcceptedRequestId is not null => (DeliveryOutcome.Delivered, $"retry key already accepted by request {r.AcceptedRequestId}", null),
            429 => (DeliveryOutcome.Throttled, detail, throttleBackoff),
            0 or 408 or >= 500 => (DeliveryOutcome.Transient, r.Status == 0 ? r.Message : detail, null),
            // A revoked or mistyped token: nothing is sent until it is fixed, so keep the work and say so on /api/channels.
            401 => (DeliveryOutcome.Transient, detail, null),
            // LINE's answer to a push at a user id that does not exist (blocked users get a silent 200).
            400 when mode == LineSendMode.Push && r.Message == "Failed to send messages" => (DeliveryOutcome.AddressGone, detail, null),
            _ => (DeliveryOutcome.Rejected, detail, null),
        };
    }

    private void Remember(LineRequestPlan plan, IReadOnlyList<DeliveryItem> items, LineApiResult answer, DeliveryOutcome outcome)
    {
        if (plan.Mode != LineSendMode.Multicast)
        {
            return; // push, broadcast and narrowcast keys never depend on how the outbox batches items
        }

        if (answer.Status is 0 or 408 or >= 500)
        {
            var earlier = plan.Items.Select(i => _ambiguous.GetValueOrDefault(items[i].IdempotencyKey)).FirstOrDefault(a => a is not null && ReferenceEquals(a.Recipients, plan.Recipients));
            var entry = earlier ?? new AmbiguousRequest(plan.Recipients, time.GetUtcNow().ToUnixTimeMilliseconds());
            foreach (var i in plan.Items)
            {
                _ambiguous[items[i].IdempotencyKey] = entry;
            }
        }
        else if (outcome is not DeliveryOutcome.Throttled and not DeliveryOutcome.Transient)
        {
            foreach (var i in plan.Items)
            {
                _ambiguous.TryRemove(items[i].IdempotencyKey, out _);
            }
        }
    }

    // LINE forgets a retry key after 24 hours; so can we.
    private void PruneAmbiguous()
    {
        if (_ambiguous.IsEmpty)
        {
            return;
        }

        var cutoff = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)TimeSpan.FromHours(24).TotalMilliseconds;
        foreach (var (key, value) in _ambiguous)
        {
            if (value.AtMs < cutoff)
            {
                _ambiguous.TryRemove(key, out _);
            }
        }
    }

    private void Observe(LineRequestPlan plan, LineApiResult answer, DeliveryOutcome outcome)
    {
        switch (answer.Status)
        {
            case >= 200 and < 300 or 409:
                _problem = null;
                break;
            case 401:
                _problem = $"LINE refused the channel access token (HTTP 401: {answer.Message})";
                LogAuthFailed(logger, answer.RequestId);
                break;
            case 403:
                _problem = $"LINE refused this API for the channel (HTTP 403: {answer.Message})";
                LogRejected(logger, plan.Mode, answer.Status, plan.Message.AlertId, plan.Message.Version, answer.Message, answer.Details, answer.RequestId);
                break;
            case 429 when answer.Message?.Contains("monthly limit", StringComparison.OrdinalIgnoreCase) == true:
                _problem = $"LINE monthly message quota reached ({answer.Message})";
                LogThrottled(logger, plan.Mode, answer.Message);
                break;
            case 429:
                // LINE's rate limits are per channel access token, which every node shares: all of them back off.
                pauses.Pause(ChannelName, _options.ThrottleBackoff);
                LogThrottled(logger, plan.Mode, answer.Message);
                break;
            case >= 400 and < 500 when outcome is DeliveryOutcome.Rejected or DeliveryOutcome.AddressGone:
                LogRejected(logger, plan.Mode, answer.Status, plan.Message.AlertId, plan.Message.Version, answer.Message, answer.Details, answer.RequestId);
                break;
            default:
                LogTransient(logger, plan.Mode, answer.Status, answer.Message, answer.RequestId);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LINE {Mode} refused alert {AlertId} v{Version} with HTTP {Status}: {LineMessage} [{LineDetails}] (request {RequestId})")]
    private static partial void LogRejected(ILogger logger, LineSendMode mode, int status, string alertId, int version, string? lineMessage, string? lineDetails, string? requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LINE {Mode} throttled (429): {LineMessage}")]
    private static partial void LogThrottled(ILogger logger, LineSendMode mode, string? lineMessage);

    [LoggerMessage(Level = LogLevel.Information, Message = "LINE {Mode} failed transiently with HTTP {Status}: {LineMessage} (request {RequestId})")]
    private static partial void LogTransient(ILogger logger, LineSendMode mode, int status, string? lineMessage, string? requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "LINE rejected the channel access token (HTTP 401, request {RequestId}); check Channels:Line:ChannelAccessToken")]
    private static partial void LogAuthFailed(ILogger logger, string? requestId);
}
