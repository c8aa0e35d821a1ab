using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.RateLimiting;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>What LINE answered to one send request.</summary>
/// <param name="Status">HTTP status, or 0 when no response arrived (timeout, connection failure).</param>
/// <param name="RequestId"><c>X-Line-Request-Id</c>.</param>
/// <param name="AcceptedRequestId"><c>X-Line-Accepted-Request-Id</c> on a 409: the request that already used the retry key.</param>
/// <param name="Message">The error body's <c>message</c>, or the transport error.</param>
/// <param name="Details">The error body's <c>details</c> as "property: message; …".</param>
internal sealed record LineApiResult(int Status, string? RequestId, string? AcceptedRequestId, string? Message, string? Details);

/// <summary>
/// The Messaging API send endpoints (push, multicast, broadcast, narrowcast) over one pooled HttpClient, with a
/// client-side token bucket per endpoint so the hub stays under LINE's rate limits instead of collecting 429s.
/// </summary>
internal sealed class LineClient : IDisposable
{
    public const string HttpClientName = ChannelNames.Line;

    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly IHttpClientFactory _clients;
    private readonly LineChannelOptions _options;
    private readonly RateLimiter? _multicastLimiter;
    private readonly RateLimiter? _pushLimiter;

    public LineClient(IHttpClientFactory clients, IOptions<LineChannelOptions> options)
    {
        _clients = clients;
        _options = options.Value;
        _multicastLimiter = Limiter(_options.MulticastRequestsPerSecond);
        _pushLimiter = Limiter(_options.PushRequestsPerSecond);
    }

    public static string PathFor(LineSendMode mode) => mode switch
    {
        LineSendMode.Push => "/v2/bot/message/push",
        LineSendMode.Multicast => "/v2/bot/message/multicast",
        LineSendMode.Broadcast => "/v2/bot/message/broadcast",
        LineSendMode.Narrowcast => "/v2/bot/message/narrowcast",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public async Task<LineApiResult> SendAsync(LineSendMode mode, byte[] body, Guid retryKey, CancellationToken cancellationToken)
    {
        var limiter = mode switch
        {
            LineSendMode.Multicast => _multicastLimiter,
            LineSendMode.Push => _pushLimiter,
            _ => null,
        };
        if (limiter is not null)
        {
            using var lease = await limiter.AcquireAsync(1, cancellationToken);
            if (!lease.IsAcquired)
            {
                return new LineApiResult(429, null, null, "client-side rate limit queue is full", null);
            }
        }

        var client = _clients.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(_options.BaseUrl.TrimEnd('/') + "/"), PathFor(mode).TrimStart('/')))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ChannelAccessToken);
        request.Headers.Add("X-Line-Retry-Key", retryKey.ToString("D"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var requestId = Header(response, "X-Line-Request-Id");
            var accepted = Header(response, "X-Line-Accepted-Request-Id");
            if (status is >= 200 and < 300)
            {
                return new LineApiResult(status, requestId, accepted, null, null);
            }

            var (message, details) = await ReadErrorAsync(response, timeout.Token);
            return new LineApiResult(status, requestId, accepted, message, details);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new LineApiResult(0, null, null, "timed out", null);
        }
        catch (HttpRequestException e)
        {
            return new LineApiResult(0, null, null, e.Message, null);
        }
    }

    public void Dispose()
    {
        _multicastLimiter?.Dispose();
        _pushLimiter?.Dispose();
    }

    private static async Task<(string? Message, string? Details)> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var read = await BoundedRead.ReadAsync(stream, MaxErrorBodyBytes, cancellationToken);
            using var doc = JsonDocument.Parse(read.Bytes.AsMemory(0, (int)Math.Min(read.Bytes.Length, MaxErrorBodyBytes)));
            var root = doc.RootElement;
            var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            string? details = null;
            if (root.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Array)
            {
                details = string.Join("; ", d.EnumerateArray().Select(x =>
                    $"{(x.TryGetProperty("property", out var p) ? p.ToString() : "")}: {(x.TryGetProperty("message", out var dm) ? dm.ToString() : "")}"));
            }

            return (message, details);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static TokenBucketRateLimiter? Limiter(int perSecond) => perSecond <= 0
        ? null
        : new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = Math.Max(1, perSecond / 20),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(perSecond >= 20 ? 50 : 1000.0 / perSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
}
