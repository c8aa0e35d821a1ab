using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Security;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>
/// Sends stored publications to each node strictly in order (a node must see revision N before N+1), one request at a time per
/// node. A publication a node did not answer stays pending and is sent again as the same bytes; one the node refused (401/402)
/// is marked refused and reported, and the publications after it still go.
/// </summary>
internal sealed partial class LAlertSender(ILAlertRecordStore records, IHttpClientFactory clients, OutboundUrlPolicy policy, IOptions<LAlertOptions> options,
    TimeProvider time, ILogger<LAlertSender> logger) : IDisposable
{
    public const string HttpClientName = "lalert";
    private readonly Dictionary<string, SemaphoreSlim> _locks = options.Value.Nodes.ToDictionary(n => n.Name, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
    private volatile string? _problem;

    /// <summary>Why publishing does not work right now (refused credentials, a refused document), or null.</summary>
    public string? Problem => _problem;

    public void Dispose()
    {
        foreach (var l in _locks.Values)
        {
            l.Dispose();
        }
    }

    /// <summary>Sends everything pending for the node, oldest first; returns where <paramref name="target"/> stands at that node afterwards.</summary>
    public async Task<(string State, string Detail)> FlushAsync(LAlertNodeOptions node, long? target, CancellationToken cancellationToken)
    {
        var gate = _locks[node.Name];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var client = clients.CreateClient(HttpClientName);
            foreach (var (seq, revision, xml) in await records.PendingAsync(node.Name, 200, cancellationToken))
            {
                LAlertAnswer answer;
                if (!policy.IsAllowed(node.Url, out var reason))
                {
                    answer = new LAlertAnswer(false, true, null, "refused by Security:OutboundUrls: " + reason);
                }
                else
                {
                    answer = await LAlertSoapClient.PublishAsync(client, node, xml, time.GetUtcNow(), options.Value.RequestTimeout, cancellationToken);
                }

                var state = answer.Accepted ? "acknowledged" : answer.Permanent ? "refused" : "pending";
                await records.RecordSendAsync(seq, node.Name, state, answer.Code, answer.Result.Length <= 500 ? answer.Result : answer.Result[..500], time.GetUtcNow(),
                    CancellationToken.None);
                if (answer.CredentialsRefused)
                {
                    _problem = $"Lアラート node {node.Name} refused the UsernameToken: check Username and Password.";
                }
                else if (answer.Permanent)
                {
                    _problem = $"Lアラート node {node.Name} refused revision {revision} (code {answer.Code}: {answer.Result}).";
                    LogRefused(logger, node.Name, seq, answer.Code, answer.Result);
                }
                else if (answer.Accepted && _problem is not null && _problem.Contains("UsernameToken", StringComparison.Ordinal))
                {
                    _problem = null;
                }

                if (!answer.Accepted && !answer.Permanent)
                {
                    LogNotAnswered(logger, node.Name, seq, answer.Result);
                    break; // the order must hold: nothing later goes before this one
                }
            }

            return target is { } t ? await StateAsync(t, node.Name, cancellationToken) : ("acknowledged", "nothing to publish");
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<(string, string)> StateAsync(long seq, string node, CancellationToken cancellationToken) =>
        await records.FindSendAsync(seq, node, cancellationToken) is ({ } send, var revision)
            ? (send.State, $"revision {revision} at {node}: {send.State}{(send.Code is { } code ? $" (code {code})" : "")} {send.Result ?? ""}".Trim())
            : ("refused", $"publication {seq} has no send to {node}");

    [LoggerMessage(Level = LogLevel.Error, Message = "Lアラート node {Node} refused publication {Seq}: code {Code} {Result}")]
    private static partial void LogRefused(ILogger logger, string node, long seq, int? code, string result);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lアラート node {Node} did not accept publication {Seq}: {Result}; it is sent again")]
    private static partial void LogNotAnswered(ILogger logger, string node, long seq, string result);
}

/// <summary>
/// <c>lalert</c>: the city's 情報発信 into Lアラート. A broadcast channel — one outbox row per node and alert version — whose
/// send applies the version to the municipality's documents (<see cref="LAlertPublisher"/>) and brings that node up to date.
/// </summary>
internal sealed class LAlertChannel(LAlertPublisher publisher, LAlertSender sender, AlertRecords alerts, IOptions<LAlertOptions> options)
    : IDeliveryChannel, IBroadcastChannel, IChannelHealth, IChannelSetup<LAlertOptions>
{
    public const string ChannelName = ChannelNames.LAlert;

    /// <summary>The publisher and sender, the shelter watcher, a guarded HTTP client (one request's time is <see cref="LAlertOptions.RequestTimeout"/>,
    /// set per request), and the staff API of publications and acknowledgements.</summary>
    public static void Configure(ChannelBuilder<LAlertOptions> channel)
    {
        channel.Services.AddSingleton<LAlertPublisher>();
        channel.Services.AddSingleton<LAlertSender>();
        channel.Services.AddHostedService<LAlertShelterWatcher>();
        channel.AddHttpClient(configureClient: (_, c) => c.Timeout = Timeout.InfiniteTimeSpan)
            .AddOptionsValidator<LAlertSetup.OptionsValidator>()
            .RefuseResidentEndpoints("'lalert' publishes to Lアラート for TV, radio and portals; it is not a personal channel.")
            .MapEndpoints(app => app.MapLAlertApi());
    }
    private readonly LAlertOptions _options = options.Value;

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    public ChannelLimits Limits { get; } = new(MaxBatchSize: 20, MaxTitleLength: 200, MaxBodyLength: 4000, MaxConcurrency: 1);

    public IReadOnlyList<BroadcastTarget> Targets { get; } =
        [.. options.Value.Nodes.Select(n => new BroadcastTarget(BroadcastTarget.IdFor(ChannelName, n.Name), n.Name))];

    public string? Problem => sender.Problem;

    /// <summary>Drills and tests go as Exercise / Test when <see cref="LAlertOptions.PublishExercises"/>; feed-made alerts only when asked.</summary>
    public bool Publishes(AlertDocument alert) =>
        (alert.Status == AlertStatus.Actual || _options.PublishExercises) && (alert.SourceEventId is null || _options.PublishFeedAlerts);

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new List<DeliveryItemResult>(batch.Items.Count);
        foreach (var item in batch.Items)
        {
            if (!await batch.AdmitAsync(item, cancellationToken))
            {
                continue;
            }

            results.Add(batch.Report(await SendOneAsync(item, cancellationToken)));
        }

        return new DeliveryReport(results);
    }

    private async Task<DeliveryItemResult> SendOneAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        var node = _options.Nodes.FirstOrDefault(n => n.Name == item.Address);
        if (node is null)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.AddressGone, $"node {item.Address} is no longer configured") { MayHaveReached = false };
        }

        if (await alerts.GetVersionAsync(item.Message.AlertId, item.Message.Version, cancellationToken) is not { } alert)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, "alert version missing") { MayHaveReached = false };
        }

        var seq = await publisher.ApplyAlertAsync(alert, cancellationToken);
        var (state, detail) = await sender.FlushAsync(node, seq, cancellationToken);
        if (seq is null)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Delivered, "nothing Lアラート shows changed; no new revision");
        }

        return state switch
        {
            "acknowledged" => new DeliveryItemResult(item.WorkId, DeliveryOutcome.Delivered, detail),
            "refused" => new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, detail),
            _ => new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, detail, _options.RetryDelay),
        };
    }
}

/// <summary>
/// 避難所情報: publishes the shelters' state when they change (woken by the shelters feature) and every
/// <see cref="LAlertOptions.ShelterCheckInterval"/> (a change a crash interrupted is published then), and keeps sending what a node
/// has not yet acknowledged.
/// </summary>
internal sealed partial class LAlertShelterWatcher(LAlertPublisher publisher, LAlertSender sender, AlertHub.Core.Storage.IShelterStore shelters,
    Shelters.ShelterChanges changes, Health.HealthState health, IOptions<LAlertOptions> options, TimeProvider time, ILogger<LAlertShelterWatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await health.WaitForStoreAsync(stoppingToken);
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = o.ShelterCheckInterval;
            try
            {
                if (o.PublishShelters)
                {
                    await publisher.ApplySheltersAsync(await shelters.ListAsync(stoppingToken), stoppingToken);
                }

                foreach (var node in o.Nodes)
                {
                    await sender.FlushAsync(node, null, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogLoopError(logger, e);
                wait = o.RetryDelay;
            }

            await changes.WaitAsync(wait, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Lアラート shelter publishing failed; trying again")]
    private static partial void LogLoopError(ILogger logger, Exception exception);
}

internal static class LAlertSetup
{
    /// <summary>Checks the options when the hub starts, and that every node's URL passes <c>Security:OutboundUrls</c>.</summary>
    internal sealed class OptionsValidator(OutboundUrlPolicy policy) : IValidateOptions<LAlertOptions>
    {
        public ValidateOptionsResult Validate(string? name, LAlertOptions options)
        {
            if (!options.Enabled)
            {
                return ValidateOptionsResult.Skip;
            }

            var failures = Failures(options).Select(f => "Channels:LAlert: " + f)
                .Concat(options.Nodes.Where(n => Uri.TryCreate(n.Url, UriKind.Absolute, out _) && !policy.IsAllowed(n.Url, out _))
                    .Select(n => $"Channels:LAlert node {n.Name}: Url is refused by Security:OutboundUrls")).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    public static List<string> Failures(LAlertOptions o)
    {
        var failures = new List<string>();
        if (o.Nodes.Count == 0 || o.Nodes.Any(n => string.IsNullOrWhiteSpace(n.Name) || !Uri.TryCreate(n.Url, UriKind.Absolute, out _)
                || string.IsNullOrEmpty(n.Username) || string.IsNullOrEmpty(n.Password))
            || o.Nodes.Select(n => n.Name).Distinct(StringComparer.Ordinal).Count() != o.Nodes.Count)
        {
            failures.Add("Nodes: at least one, each with a unique Name, an absolute Url, a Username and a Password");
        }

        if (o.MunicipalityCode.Length != 5 || !o.MunicipalityCode.All(char.IsAsciiDigit))
        {
            failures.Add("MunicipalityCode is the 5-digit 全国地方公共団体コード (e.g. 05203)");
        }

        if (string.IsNullOrWhiteSpace(o.SenderId) || string.IsNullOrWhiteSpace(o.MunicipalityName))
        {
            failures.Add("SenderId and MunicipalityName are required");
        }

        if (o.ShelterStatus is not ("Actual" or "Exercise" or "Test"))
        {
            failures.Add("ShelterStatus is Actual, Exercise or Test");
        }

        if (!o.SortNames.ContainsKey(3) || !o.SortNames.ContainsKey(4) || !o.SortNames.ContainsKey(5))
        {
            failures.Add("SortNames needs the 発令区分 for 警戒レベル 3, 4 and 5");
        }

        return failures;
    }

}

