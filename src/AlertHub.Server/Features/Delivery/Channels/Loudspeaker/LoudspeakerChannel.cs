using System.Text;
using System.Text.Json;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Loudspeaker;

/// <summary>
/// Turns an alert into a script an operator or a TTS engine reads out over 防災行政無線 — spoken markers instead of
/// brackets (「訓練、訓練。」), pauses, the message repeated — and posts it, signed like the webhook channel, to each
/// configured radio gateway. One post per gateway and alert version.
/// </summary>
internal sealed class LoudspeakerChannel : IDeliveryChannel, IBroadcastChannel, IChannelSetup<LoudspeakerChannelOptions>
{
    public const string ChannelName = ChannelNames.Loudspeaker;
    public const string HttpClientName = ChannelName;
    private readonly IHttpClientFactory _clients;
    private readonly OutboundUrlPolicy _policy;
    private readonly LoudspeakerChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, LoudspeakerGatewayOptions> _gateways;

    public LoudspeakerChannel(IHttpClientFactory clients, OutboundUrlPolicy policy, IOptions<LoudspeakerChannelOptions> options, TimeProvider time)
    {
        _clients = clients;
        _policy = policy;
        _options = options.Value;
        _time = time;
        _gateways = _options.Gateways.ToDictionary(g => g.Name, StringComparer.Ordinal);
        Targets = [.. _options.Gateways.Select(g => new BroadcastTarget(BroadcastTarget.IdFor(ChannelName, g.Name), g.Name))];
    }

    public static void Configure(ChannelBuilder<LoudspeakerChannelOptions> channel) => channel
        .AddOptionsValidator<LoudspeakerChannelOptionsValidator>()
        .RefuseResidentEndpoints("'loudspeaker' is the city's radio, not a personal channel.")
        .AddHttpClient();

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    public ChannelLimits Limits { get; } = new(MaxBatchSize: 10, MaxTitleLength: 200, MaxBodyLength: 1000, MaxConcurrency: 4);

    public IReadOnlyList<BroadcastTarget> Targets { get; }

    public bool Publishes(AlertDocument alert) => alert.Status == AlertStatus.Actual || _options.BroadcastExercises;

    /// <summary>The spoken script: opening, drill/update/cancel announcement, the message read <c>Repeat</c> times, closing.</summary>
    public static string Script(RenderedMessage m, LoudspeakerChannelOptions options)
    {
        var announce = new StringBuilder();
        if (m.Status == nameof(AlertStatus.Exercise))
        {
            announce.Append("訓練、訓練。");
        }
        else if (m.Status == nameof(AlertStatus.Test))
        {
            announce.Append("試験放送です。");
        }

        if (m.MsgType == nameof(MsgType.Cancel))
        {
            announce.Append("先ほどの放送を取り消します。");
        }
        else if (m.MsgType == nameof(MsgType.Update))
        {
            announce.Append("続報です。");
        }

        var message = new StringBuilder();
        message.Append(Speakable(StripMarkers(m.Headline))).Append('。');
        if (!string.IsNullOrWhiteSpace(m.AreaName))
        {
            message.Append("対象は、").Append(Speakable(m.AreaName)).Append("です。");
        }

        message.Append(Speakable(StripDrillSentence(m.Body)));
        if (!string.IsNullOrWhiteSpace(m.Instruction))
        {
            message.Append(Speakable(m.Instruction));
        }

        var text = EnsureFullStop(message.ToString());
        var script = new StringBuilder(options.Opening).Append(announce);
        for (var i = 0; i < options.Repeat; i++)
        {
            if (i > 0)
            {
                script.Append("繰り返します。").Append(announce);
            }

            script.Append(text);
        }

        return script.Append(options.Closing).ToString();
    }

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var client = _clients.CreateClient(HttpClientName);
        var results = new List<DeliveryItemResult>(batch.Items.Count);
        foreach (var item in batch.Items)
        {
            // Admitted one at a time and reported at once: a crash can repeat at most the one post in flight.
            if (!await batch.AdmitAsync(item, cancellationToken))
            {
                continue;
            }

            results.Add(batch.Report(_gateways.TryGetValue(item.Address, out var gateway)
                ? await PostAsync(client, gateway, item, cancellationToken)
                : new DeliveryItemResult(item.WorkId, DeliveryOutcome.AddressGone, $"gateway {item.Address} is no longer configured")));
        }

        return new DeliveryReport(results);
    }

    private async Task<DeliveryItemResult> PostAsync(HttpClient client, LoudspeakerGatewayOptions gateway, DeliveryItem item, CancellationToken cancellationToken)
    {
        if (!_policy.IsAllowed(gateway.Url, out var reason))
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, reason);
        }

        var m = item.Message;
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            deliveryId = item.IdempotencyKey, m.AlertId, m.Version, m.MsgType, m.Status, m.Severity, script = Script(m, _options),
            repeat = _options.Repeat, headline = m.Headline, m.Sent,
        }, Json.Options);
        using var request = SignedWebhook.Post(gateway.Url, body, gateway.Secret, _time.GetUtcNow());
        request.Headers.Add("X-AlertHub-Delivery-Id", item.IdempotencyKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => new(item.WorkId, DeliveryOutcome.Delivered),
                429 => new(item.WorkId, DeliveryOutcome.Throttled, "HTTP 429", response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(30)),
                408 or >= 500 => new(item.WorkId, DeliveryOutcome.Transient, $"HTTP {status}"),
                _ => new(item.WorkId, DeliveryOutcome.Rejected, $"HTTP {status}"),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, "timed out");
        }
        catch (HttpRequestException e)
        {
            return new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, e.Message);
        }
    }

    private static string StripMarkers(string headline)
    {
        // 【訓練】【更新】【取消】 are for eyes; the script announces them in words instead.
        var s = headline;
        foreach (var marker in new[] { "【訓練】", "【試験】", "【更新】", "【取消】" })
        {
            s = s.Replace(marker, "", StringComparison.Ordinal);
        }

        return s.Trim();
    }

    private static string StripDrillSentence(string body) =>
        body.Replace("これは訓練です。", "", StringComparison.Ordinal).Replace("これは試験配信です。", "", StringComparison.Ordinal);

    /// <summary>Brackets and symbols a reader would trip over become pauses or words.</summary>
    private static string Speakable(string text) => text
        .Replace("【", "", StringComparison.Ordinal).Replace("】", "、", StringComparison.Ordinal)
        .Replace("「", "", StringComparison.Ordinal).Replace("」", "", StringComparison.Ordinal)
        .Replace("（", "、", StringComparison.Ordinal).Replace("）", "、", StringComparison.Ordinal)
        .Replace("・", "、", StringComparison.Ordinal).Replace("～", "から", StringComparison.Ordinal)
        .Replace("\n", "", StringComparison.Ordinal).Trim();

    private static string EnsureFullStop(string text) => text.EndsWith('。') ? text : text + "。";
}
