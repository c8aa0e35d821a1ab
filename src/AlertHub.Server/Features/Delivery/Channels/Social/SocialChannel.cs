using System.Net;
using System.Net.Http.Json;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Social;

/// <summary>
/// Posts the public version of real alerts to the city's Mastodon and X accounts: one post per account and
/// alert version, no resident data. Mastodon posts carry <c>Idempotency-Key</c>; X answers a repeated text
/// with 403 "duplicate content", which counts as already posted — so retries never double-post.
/// </summary>
internal sealed partial class SocialChannel : IDeliveryChannel, IBroadcastChannel, IChannelHealth, IChannelSetup<SocialChannelOptions>
{
    public const string ChannelName = ChannelNames.Social;
    public const string HttpClientName = ChannelName;
    private readonly IHttpClientFactory _clients;
    private readonly SocialChannelOptions _options;
    private readonly HubOptions _hub;
    private readonly ILogger<SocialChannel> _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SocialAccountOptions> _accounts;
    private volatile string? _problem;

    public SocialChannel(IHttpClientFactory clients, IOptions<SocialChannelOptions> options, IOptions<HubOptions> hub, TimeProvider time, ILogger<SocialChannel> logger)
    {
        _clients = clients;
        _options = options.Value;
        _hub = hub.Value;
        _logger = logger;
        _time = time;
        _accounts = _options.Accounts.ToDictionary(a => a.Name, StringComparer.Ordinal);
        Targets = [.. _options.Accounts.Select(a => new BroadcastTarget(BroadcastTarget.IdFor(ChannelName, a.Name), a.Name))];
    }

    public static void Configure(ChannelBuilder<SocialChannelOptions> channel) => channel
        .AddOptionsValidator<SocialChannelOptionsValidator>()
        .RefuseResidentEndpoints("'social' posts to the city's public accounts; follow them there instead.")
        .AddHttpClient();

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    public ChannelLimits Limits { get; } = new(MaxBatchSize: 20, MaxTitleLength: 200, MaxBodyLength: 2000, MaxConcurrency: 4);

    public IReadOnlyList<BroadcastTarget> Targets { get; }

    public string? Problem => _problem;

    public bool Publishes(AlertDocument alert) => alert.Status == AlertStatus.Actual || _options.PostExercises;

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

            results.Add(batch.Report(_accounts.TryGetValue(item.Address, out var account)
                ? await PostAsync(client, account, item, cancellationToken)
                : new DeliveryItemResult(item.WorkId, DeliveryOutcome.AddressGone, $"account {item.Address} is no longer configured")));
        }

        return new DeliveryReport(results);
    }

    private async Task<DeliveryItemResult> PostAsync(HttpClient client, SocialAccountOptions account, DeliveryItem item, CancellationToken cancellationToken)
    {
        var m = item.Message;
        var link = $"{_hub.PublicBaseUrl.TrimEnd('/')}/feeds/cap/{m.AlertId}/{m.Version}.xml";
        var isX = account.Kind == "x";
        var text = SocialText.Compose(m, link, account.MaxLength ?? (isX ? 280 : 500), isX ? SocialText.XLength : SocialText.MastodonLength);
        using var request = isX
            ? new HttpRequestMessage(HttpMethod.Post, $"{account.BaseUrl.TrimEnd('/')}/2/tweets") { Content = JsonContent.Create(new { text }) }
            : new HttpRequestMessage(HttpMethod.Post, $"{account.BaseUrl.TrimEnd('/')}/api/v1/statuses")
            {
                Content = JsonContent.Create(new { status = text, visibility = "public", language = m.Language.Split('-')[0] }),
            };
        request.Headers.Authorization = new("Bearer", account.AccessToken);
        if (!isX)
        {
            request.Headers.Add("Idempotency-Key", item.IdempotencyKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return Classify(account, item.WorkId, response, body);
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

    private DeliveryItemResult Classify(SocialAccountOptions account, long workId, HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            _problem = null;
            return new DeliveryItemResult(workId, DeliveryOutcome.Delivered);
        }

        if (account.Kind == "x" && status == 403 && body.Contains("duplicate content", StringComparison.OrdinalIgnoreCase))
        {
            return new DeliveryItemResult(workId, DeliveryOutcome.Delivered, "already posted");
        }

        if (status is 401 or 403)
        {
            // A revoked or under-scoped token: no retry fixes it, so say so on the channel's health.
            _problem = $"{account.Name}: HTTP {status} — check the access token";
            LogAuthFailed(_logger, account.Name, status);
            return new DeliveryItemResult(workId, DeliveryOutcome.Rejected, $"HTTP {status}");
        }

        if (status is >= 300 and < 400)
        {
            // Redirects are not followed (they could lead past the outbound policy with the token): a moved
            // instance needs its BaseUrl changed, which no retry does.
            var location = response.Headers.Location?.ToString() ?? "(no Location)";
            _problem = $"{account.Name}: HTTP {status} redirect to {Trim(location)} not followed — check BaseUrl";
            LogRedirectRefused(_logger, account.Name, status, Trim(location));
            return new DeliveryItemResult(workId, DeliveryOutcome.Rejected, $"HTTP {status}: redirect not followed");
        }

        if (status == 429)
        {
            return new DeliveryItemResult(workId, DeliveryOutcome.Throttled, "HTTP 429", RetryAfter(account, response, _time.GetUtcNow()) ?? TimeSpan.FromMinutes(1));
        }

        return status >= 500 || status == (int)HttpStatusCode.RequestTimeout
            ? new DeliveryItemResult(workId, DeliveryOutcome.Transient, $"HTTP {status}")
            : new DeliveryItemResult(workId, DeliveryOutcome.Rejected, $"HTTP {status}: {Trim(body)}");
    }

    /// <summary>Mastodon sends X-RateLimit-Reset as an ISO time, X sends x-rate-limit-reset as epoch seconds.</summary>
    private static TimeSpan? RetryAfter(SocialAccountOptions account, HttpResponseMessage response, DateTimeOffset now)
    {
        if (response.Headers.RetryAfter?.Delta is { } delta)
        {
            return delta;
        }

        var header = response.Headers.TryGetValues(account.Kind == "x" ? "x-rate-limit-reset" : "X-RateLimit-Reset", out var values) ? values.FirstOrDefault() : null;
        if (header is null)
        {
            return null;
        }

        if (long.TryParse(header, out var epoch))
        {
            return DateTimeOffset.FromUnixTimeSeconds(epoch) - now;
        }

        return DateTimeOffset.TryParse(header, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at - now
            : null;
    }

    private static string Trim(string body) => body.Length <= 200 ? body : body[..200];

    [LoggerMessage(Level = LogLevel.Error, Message = "Social account {Account} answered HTTP {Status} redirecting to {Location}; not followed")]
    private static partial void LogRedirectRefused(ILogger logger, string account, int status, string location);

    [LoggerMessage(Level = LogLevel.Error, Message = "Social account {Account} refused the token (HTTP {Status})")]
    private static partial void LogAuthFailed(ILogger logger, string account, int status);
}
