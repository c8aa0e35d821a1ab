using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Proxies an HLS camera through the hub. Playlists are rewritten so every URI points back at
/// <c>/live/{id}/u/{token}</c>, where the token is the upstream path (base64url) on the camera's own origin:
/// the hub never fetches another host whatever a playlist says, and the connection still goes through the
/// outbound policy.
/// </summary>
internal sealed partial class HlsProxy(IHttpClientFactory httpClients, CameraStore store)
{
    private const int MaxPlaylistBytes = 1024 * 1024;

    public async Task ForwardAsync(CameraRecord camera, string? token, HttpContext http, CancellationToken cancellationToken)
    {
        var origin = new Uri(camera.Url);
        Uri target;
        if (token is null)
        {
            target = origin;
        }
        else
        {
            var pathAndQuery = Decode(token);
            if (pathAndQuery is null || !pathAndQuery.StartsWith('/') || pathAndQuery.StartsWith("//", StringComparison.Ordinal))
            {
                await Problems.WriteAsync(http, 404, Problems.NotFound, "Not found.", "Unknown live resource.");
                return;
            }

            target = new Uri(origin, pathAndQuery);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        if (await store.GetCredentialsAsync(camera.Id, cancellationToken) is { } credentials)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(CameraUrls.BasicAuthorization(credentials));
        }

        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(CameraSupervisor.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException)
        {
            await Problems.WriteAsync(http, 502, Problems.CameraUpstreamFailed, "The camera did not answer.", $"Camera {camera.Id} could not be reached.");
            return;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                await Problems.WriteAsync(http, 502, Problems.CameraUpstreamFailed, "The camera refused the request.",
                    $"Camera {camera.Id} answered {(int)response.StatusCode}.");
                return;
            }

            var upstreamType = response.Content.Headers.ContentType?.MediaType ?? "";
            var isPlaylist = target.AbsolutePath.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase)
                || upstreamType.Contains("mpegurl", StringComparison.OrdinalIgnoreCase);
            if (isPlaylist)
            {
                if (response.Content.Headers.ContentLength > MaxPlaylistBytes)
                {
                    await Problems.WriteAsync(http, 502, Problems.CameraUpstreamFailed, "The camera's playlist is too large.", null);
                    return;
                }

                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                http.Response.ContentType = LiveApi.PlaylistType;
                http.Response.Headers.CacheControl = "no-cache";
                await http.Response.WriteAsync(Rewrite(text, target, origin, camera.Id), cancellationToken);
                return;
            }

            http.Response.ContentType = LiveApi.ContentTypeOf(target.AbsolutePath);
            if (response.Content.Headers.ContentLength is { } length)
            {
                http.Response.ContentLength = length;
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await body.CopyToAsync(http.Response.Body, cancellationToken);
        }
    }

    /// <summary>Points every URI line and every <c>URI="…"</c> attribute at the hub; URIs on other origins are dropped.</summary>
    public static string Rewrite(string playlist, Uri playlistUrl, Uri origin, string cameraId)
    {
        var output = new StringBuilder(playlist.Length + 256);
        foreach (var raw in playlist.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                output.Append('\n');
                continue;
            }

            if (line.StartsWith('#'))
            {
                output.Append(UriAttribute().Replace(line, m => $"URI=\"{Local(m.Groups[1].Value, playlistUrl, origin, cameraId) ?? ""}\"")).Append('\n');
                continue;
            }

            if (Local(line.Trim(), playlistUrl, origin, cameraId) is { } local)
            {
                output.Append(local).Append('\n');
            }
        }

        return output.ToString();
    }

    private static string? Local(string reference, Uri playlistUrl, Uri origin, string cameraId)
    {
        if (!Uri.TryCreate(playlistUrl, reference, out var absolute)
            || !string.Equals(absolute.GetLeftPart(UriPartial.Authority), origin.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(absolute.PathAndQuery));
        return $"/live/{cameraId}/u/{token}";
    }

    private static string? Decode(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex("URI=\"([^\"]*)\"")]
    private static partial Regex UriAttribute();
}
