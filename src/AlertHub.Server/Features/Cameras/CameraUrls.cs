using System.Net;
using System.Text;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Security;

namespace AlertHub.Server.Features.Cameras;

/// <summary>Camera URLs against the hub's outbound policy, and the places credentials must never leak from.</summary>
internal static class CameraUrls
{
    /// <summary>
    /// Checks the scheme for the kind, refuses credentials in the URL, and runs the host through
    /// <see cref="OutboundUrlPolicy"/>. Returns null when allowed, else the reason; <paramref name="forbidden"/>
    /// tells a policy refusal from a malformed URL.
    /// </summary>
    public static string? Check(OutboundUrlPolicy policy, string kind, string url, out bool forbidden)
    {
        forbidden = false;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "url must be an absolute URL.";
        }

        var schemes = kind == CameraKinds.Rtsp ? new[] { "rtsp", "rtsps" } : new[] { "http", "https" };
        if (!schemes.Contains(uri.Scheme))
        {
            return $"a {kind} camera's url must use {string.Join(" or ", schemes)}.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "credentials in the url are not accepted; send username and password separately.";
        }

        // rtsp has no plain/TLS pair the policy knows; only its host rules apply, on the port ffmpeg will use.
        var allowed = uri.Scheme.StartsWith("rtsp", StringComparison.Ordinal)
            ? policy.IsHostAllowed(new UriBuilder(uri) { Port = uri.Port > 0 ? uri.Port : uri.Scheme == "rtsps" ? 322 : 554 }.Uri, out var reason)
            : policy.IsAllowed(url, out reason);
        if (!allowed)
        {
            forbidden = true;
            return reason;
        }

        return null;
    }

    /// <summary>Resolves the host now and checks every address, as the HttpClient connect callback does, for URLs ffmpeg opens itself.</summary>
    public static async Task<string?> CheckResolvedAsync(OutboundUrlPolicy policy, string url, CancellationToken cancellationToken)
    {
        var uri = new Uri(url);
        var host = uri.IdnHost.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        foreach (var address in addresses)
        {
            if (!policy.IsAddressAllowed(address, out var reason))
            {
                return reason;
            }
        }

        return addresses.Length == 0 ? $"{host} does not resolve" : null;
    }

    /// <summary>The URL with credentials inserted, for ffmpeg only (rtsp has no header to carry them).</summary>
    public static string WithCredentials(string url, CameraCredentials? credentials) =>
        credentials is null ? url : new UriBuilder(url) { UserName = Uri.EscapeDataString(credentials.Username), Password = Uri.EscapeDataString(credentials.Password) }.Uri.AbsoluteUri;

    public static string BasicAuthorization(CameraCredentials credentials) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}"));

    /// <summary>Removes credentials (raw, URL-escaped and as Basic auth) from text ffmpeg or an exception produced.</summary>
    public static string Scrub(string text, CameraCredentials? credentials)
    {
        if (credentials is null)
        {
            return text;
        }

        foreach (var secret in new[]
                 {
                     BasicAuthorization(credentials)[6..], Uri.EscapeDataString(credentials.Password), credentials.Password,
                     Uri.EscapeDataString(credentials.Username), credentials.Username,
                 })
        {
            // A one- or two-letter user name would shred the text; passwords are scrubbed whatever their length.
            if (secret.Length > 0 && (secret.Length >= 3 || secret == credentials.Password))
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }
}
