using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlertHub.Server.Features.Security;

/// <summary>
/// The hub's signed webhook: a JSON POST with <c>X-AlertHub-Signature = base64(HMAC-SHA256(secret, raw body))</c> (the
/// scheme of <c>X-Line-Signature</c>, so standard receivers can verify it) and <c>X-AlertHub-Timestamp</c>. Residents'
/// webhooks, radio gateways and the camera staff notice all sign this way.
/// </summary>
internal static class SignedWebhook
{
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static HttpRequestMessage Post(string url, byte[] body, string secret, DateTimeOffset now)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        request.Headers.Add("X-AlertHub-Signature", Sign(secret, body));
        request.Headers.Add("X-AlertHub-Timestamp", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        return request;
    }
}
