using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Proxies an HLS camera through the hub. Playlists are rewritten so every URI points back at
/// <c>/live/{id}/u/{token}</c>, where the token is the upstream path (base64url) on the camera's own origin:
/// the hub never fetches another host whatever a playlist says, and the connection still goes through the
/// outbound policy.
/// </summary>
internal sealed class HlsProxy(IHttpClientFactory httpClients, ICameraStore store, TimeProvider time)
{
    private const int MaxPlaylistBytes = HlsPlaylist.MaxBytes;
    private const int MaxSegmentBytes = 64 * 1024 * 1024;

    // Viewers share upstream fetches: a segment is fetched once and served from memory for a while, a
    // playlist for half a second, so ten viewers cost the camera about what one does.
    private static readonly TimeSpan SegmentLifetime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PlaylistLifetime = TimeSpan.FromMilliseconds(500);
    private readonly ConcurrentDictionary<string, (Task<Fetched> Fetch, DateTimeOffset Expires)> _cache = new();

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

        var fetched = await GetAsync(camera, target, cancellationToken);
        if (fetched.Error is { } error)
        {
            await Problems.WriteAsync(http, 502, Problems.CameraUpstreamFailed, "The camera did not deliver.", $"Camera {camera.Id}: {error}");
            return;
        }

        if (fetched.IsPlaylist)
        {
            http.Response.ContentType = LiveApi.PlaylistType;
            http.Response.Headers.CacheControl = "no-cache";
            await http.Response.WriteAsync(Rewrite(Encoding.UTF8.GetString(fetched.Body), target, origin, camera.Id), cancellationToken);
            return;
        }

        http.Response.ContentType = LiveApi.ContentTypeOf(target.AbsolutePath);
        http.Response.ContentLength = fetched.Body.Length;
        await http.Response.Body.WriteAsync(fetched.Body, cancellationToken);
    }

    private async Task<Fetched> GetAsync(CameraRecord camera, Uri target, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var key = camera.Id + " " + camera.UpdatedAt.UtcTicks + " " + target.PathAndQuery;
        if (_cache.Count > 1000)
        {
            foreach (var old in _cache.Where(e => e.Value.Expires < now).Select(e => e.Key).ToList())
            {
                _cache.TryRemove(old, out _);
            }
        }

        if (_cache.TryGetValue(key, out var hit) && hit.Expires > now)
        {
            return await hit.Fetch.WaitAsync(cancellationToken);
        }

        // The upstream fetch is not tied to this viewer's request: others may be waiting on it.
        var fetch = FetchAsync(camera, target);
        _cache[key] = (fetch, now + (IsPlaylistPath(target) ? PlaylistLifetime : SegmentLifetime));
        var result = await fetch.WaitAsync(cancellationToken);
        if (result.Error is not null)
        {
            _cache.TryRemove(key, out _);
        }
        else if (result.IsPlaylist)
        {
            _cache[key] = (fetch, now + PlaylistLifetime);
        }

        return result;
    }

    private async Task<Fetched> FetchAsync(CameraRecord camera, Uri target)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        if (await store.GetCredentialsAsync(camera.Id, CancellationToken.None) is { } credentials)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(CameraUrls.BasicAuthorization(credentials));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            using var response = await httpClients.CreateClient(CameraSupervisor.HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return Fetched.Failed($"answered {(int)response.StatusCode}");
            }

            var isPlaylist = IsPlaylistPath(target)
                || (response.Content.Headers.ContentType?.MediaType ?? "").Contains("mpegurl", StringComparison.OrdinalIgnoreCase);
            var limit = isPlaylist ? MaxPlaylistBytes : MaxSegmentBytes;
            return await BoundedRead.ReadAtMostAsync(response.Content, limit, timeout.Token) is { } body
                ? new Fetched(body, isPlaylist, null)
                : Fetched.Failed($"sent more than {limit} bytes");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return Fetched.Failed("could not be reached");
        }
    }

    private static bool IsPlaylistPath(Uri target) => target.AbsolutePath.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase);

    private sealed record Fetched(byte[] Body, bool IsPlaylist, string? Error)
    {
        public static Fetched Failed(string error) => new([], false, error);
    }

    /// <summary>Points every URI line and every <c>URI=</c> attribute at the hub; URIs on other origins are dropped.</summary>
    public static string Rewrite(string playlist, Uri playlistUrl, Uri origin, string cameraId) =>
        HlsPlaylist.Rewrite(playlist, playlistUrl, absolute =>
            string.Equals(absolute.GetLeftPart(UriPartial.Authority), origin.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
                ? $"/live/{cameraId}/u/{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(absolute.PathAndQuery))}"
                : null);

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
}
