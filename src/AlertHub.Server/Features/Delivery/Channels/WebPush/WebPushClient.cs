using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>One push message on the wire (RFC 8030 headers; the body is already aes128gcm-encrypted).</summary>
internal sealed record WebPushRequest(Uri Endpoint, byte[] Body, long TimeToLive, string Urgency, string? Topic, string Authorization);

/// <summary>What the push service answered: its status and, for 429/5xx, how long it asked us to wait.</summary>
internal sealed record WebPushResponse(int Status, TimeSpan? RetryAfter);

/// <summary>
/// RFC 8030 push: POST the encrypted message to the subscription's endpoint (the push service is whatever
/// host the browser chose, so there is no base URL to configure; tests subscribe against a loopback service).
/// </summary>
internal sealed class WebPushClient(IHttpClientFactory clients, TimeProvider time)
{
    public const string HttpClientName = ChannelNames.WebPush;

    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");

    public async Task<WebPushResponse> SendAsync(WebPushRequest push, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, push.Endpoint)
        {
            Content = new ByteArrayContent(push.Body),
            // h2 where the service offers it over TLS (FCM, autopush, Apple), HTTP/1.1 otherwise.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Content.Headers.ContentType = OctetStream;
        request.Content.Headers.ContentEncoding.Add("aes128gcm");
        request.Headers.TryAddWithoutValidation("TTL", push.TimeToLive.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Urgency", push.Urgency);
        if (push.Topic is not null)
        {
            request.Headers.TryAddWithoutValidation("Topic", push.Topic);
        }

        request.Headers.TryAddWithoutValidation("Authorization", push.Authorization);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        return new WebPushResponse((int)response.StatusCode, retryAfter is { } r && r < TimeSpan.Zero ? TimeSpan.Zero : retryAfter);
    }
}
