using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// The only HTTP server ffmpeg reads HLS from: a loopback listener inside the hub (started on first use) that
/// fetches each playlist, variant, segment, key and init segment for it through the outbound policy and
/// rewrites every URI in a playlist to one of its own tickets. ffmpeg never sees a camera's URL, so a playlist
/// entry or a redirect naming a refused host is refused here, and recorded on the session for the camera's
/// health. Redirects are followed by the gateway, each hop checked like the first URL; the camera's
/// credentials go only to the camera's own origin. ffmpeg also gets this listener as its
/// <c>-http_proxy</c>, so a URI the rewrite missed would still arrive here (and be refused) instead of
/// leaving the machine.
/// </summary>
internal sealed partial class MediaGateway(OutboundUrlPolicy policy, IHttpClientFactory httpClients, ILogger<MediaGateway> logger) : IAsyncDisposable
{
    private const int MaxRedirects = 5;
    private const long MaxBodyBytes = 64L * 1024 * 1024;
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(20);
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly ConcurrentDictionary<string, GatewaySession> _sessions = new();
    private WebApplication? _app;

    /// <summary><c>127.0.0.1:port</c> once started.</summary>
    public string Authority { get; private set; } = "";

    /// <summary>The value for ffmpeg's <c>-http_proxy</c>.</summary>
    public string ProxyUrl => $"http://{Authority}/";

    /// <summary>A session for one ffmpeg run; dispose it when ffmpeg is gone.</summary>
    public async Task<GatewaySession> OpenAsync(CameraRecord camera, CameraCredentials? credentials, CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken);
        var session = new GatewaySession(this, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), camera, credentials);
        _sessions[session.Id] = session;
        return session;
    }

    internal void Close(GatewaySession session) => _sessions.TryRemove(session.Id, out _);

    private async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            return;
        }

        await _startLock.WaitAsync(cancellationToken);
        try
        {
            if (_app is not null)
            {
                return;
            }

            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "AlertHub.MediaGateway" });
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(HandleAsync);
            await app.StartAsync(cancellationToken);
            Authority = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority;
            _app = app;
        }
        finally
        {
            _startLock.Release();
        }
    }

    private async Task HandleAsync(HttpContext http)
    {
        var parts = (http.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!HttpMethods.IsGet(http.Request.Method)
            || !string.Equals(http.Request.Host.Value, Authority, StringComparison.OrdinalIgnoreCase)
            || parts.Length < 2
            || !_sessions.TryGetValue(parts[0], out var session)
            || session.Target(parts[1]) is not { } target)
        {
            // A request for anything but a ticket: ffmpeg asked for a URL the rewrite did not hand it (through
            // -http_proxy), or something else on this machine found the port.
            LogStrayRequest(logger, http.Request.Method, $"{http.Request.Host}{http.Request.Path}");
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(FetchTimeout);
        try
        {
            await ForwardAsync(http, session, target, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or InvalidDataException)
        {
            if (!http.Response.HasStarted)
            {
                http.Response.StatusCode = StatusCodes.Status502BadGateway;
            }

            if (!http.RequestAborted.IsCancellationRequested)
            {
                session.Failed($"{GatewaySession.Describe(target)}: {(e is OperationCanceledException ? "timed out" : e.Message)}");
            }
        }
    }

    private async Task ForwardAsync(HttpContext http, GatewaySession session, Uri target, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(CameraSupervisor.HttpClientName);
        var current = target;
        for (var hop = 0; ; hop++)
        {
            var what = hop == 0 ? GatewaySession.Describe(current) : $"redirect to {GatewaySession.Describe(current)}";
            if (!policy.IsAllowed(current.AbsoluteUri, out var reason))
            {
                Refuse(http, session, $"{what}: {reason}");
                return;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            if (session.Credentials is { } credentials && session.IsCameraOrigin(current))
            {
                request.Headers.Authorization = AuthenticationHeaderValue.Parse(CameraUrls.BasicAuthorization(credentials));
            }

            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e) when (OutboundRefusedException.Find(e) is { } refused)
            {
                Refuse(http, session, $"{what}: {refused.Reason}");
                return;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
                {
                    if (hop == MaxRedirects)
                    {
                        throw new HttpRequestException($"more than {MaxRedirects} redirects");
                    }

                    current = new Uri(current, location);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    http.Response.StatusCode = status == 404 ? 404 : StatusCodes.Status502BadGateway;
                    session.Failed($"{what} answered {status}");
                    return;
                }

                if (response.Content.Headers.ContentLength > MaxBodyBytes)
                {
                    throw new InvalidDataException($"more than {MaxBodyBytes} bytes");
                }

                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                var mediaType = response.Content.Headers.ContentType?.MediaType;
                var head = new byte[16];
                var headLength = await body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
                if (HlsPlaylist.IsPlaylist(current, mediaType, head.AsSpan(0, headLength)))
                {
                    var text = await ReadPlaylistAsync(head.AsMemory(0, headLength), body, cancellationToken);

                    // Relative references resolve against where the playlist really came from (after redirects).
                    var rewritten = HlsPlaylist.Rewrite(text, current, session.LocalUrl);
                    http.Response.ContentType = LiveApi.PlaylistType;
                    await http.Response.WriteAsync(rewritten, cancellationToken);
                    return;
                }

                http.Response.ContentType = mediaType ?? "application/octet-stream";
                await http.Response.Body.WriteAsync(head.AsMemory(0, headLength), cancellationToken);
                var buffer = new byte[81920];
                long total = headLength;
                int n;
                while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += n;
                    if (total > MaxBodyBytes)
                    {
                        throw new InvalidDataException($"more than {MaxBodyBytes} bytes");
                    }

                    await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                }

                return;
            }
        }
    }

    private void Refuse(HttpContext http, GatewaySession session, string reason)
    {
        session.Refuse(reason);
        LogRefused(logger, session.Camera.Id, reason);
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
    }

    private static async Task<string> ReadPlaylistAsync(ReadOnlyMemory<byte> head, Stream body, CancellationToken cancellationToken)
    {
        var rest = await BoundedRead.ReadAtMostAsync(body, Math.Max(0, HlsPlaylist.MaxBytes - head.Length), cancellationToken)
            ?? throw new InvalidDataException($"playlist larger than {HlsPlaylist.MaxBytes} bytes");
        return Encoding.UTF8.GetString([.. head.Span, .. rest]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _startLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {CameraId}: media gateway refused {Reason}")]
    private static partial void LogRefused(ILogger logger, string cameraId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media gateway refused a request that is not one of its tickets: {Method} {Target}")]
    private static partial void LogStrayRequest(ILogger logger, string method, string target);
}

/// <summary>
/// One ffmpeg run's view of the gateway: tickets for the upstream URLs its playlists named, and the last
/// refusal or failure, which the supervisor turns into the camera's health reason.
/// </summary>
internal sealed class GatewaySession : IDisposable
{
    private const int MaxTickets = 4096;
    private readonly MediaGateway _gateway;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Uri> _byTicket = [];
    private readonly Dictionary<string, string> _byUrl = [];
    private readonly string _origin;
    private int _next;
    private volatile string? _refusal;
    private volatile string? _failure;

    public GatewaySession(MediaGateway gateway, string id, CameraRecord camera, CameraCredentials? credentials)
    {
        _gateway = gateway;
        Id = id;
        Camera = camera;
        Credentials = credentials;
        var url = new Uri(camera.Url);
        _origin = url.GetLeftPart(UriPartial.Authority);
        EntryUrl = LocalUrl(url);
    }

    public string Id { get; }

    public CameraRecord Camera { get; }

    public CameraCredentials? Credentials { get; }

    /// <summary>The gateway URL ffmpeg opens instead of the camera's.</summary>
    public string EntryUrl { get; }

    /// <summary>The last URL the outbound policy refused during this run, with the reason.</summary>
    public string? Refusal => _refusal;

    /// <summary>The last upstream failure that was not a refusal.</summary>
    public string? Failure => _failure;

    public bool IsCameraOrigin(Uri url) => string.Equals(url.GetLeftPart(UriPartial.Authority), _origin, StringComparison.OrdinalIgnoreCase);

    /// <summary>A gateway URL for <paramref name="upstream"/>; the same URL keeps its ticket across playlist reloads.</summary>
    public string LocalUrl(Uri upstream)
    {
        string ticket;
        lock (_gate)
        {
            if (!_byUrl.TryGetValue(upstream.AbsoluteUri, out ticket!))
            {
                if (_byUrl.Count >= MaxTickets)
                {
                    // A live playlist names a few new segments a second; old tickets are long out of its window.
                    _byUrl.Clear();
                    _byTicket.Clear();
                }

                ticket = (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture);
                _byUrl[upstream.AbsoluteUri] = ticket;
                _byTicket[ticket] = upstream;
            }
        }

        // The upstream file name stays at the end: ffmpeg looks at extensions.
        return $"http://{_gateway.Authority}/{Id}/{ticket}/{SafeName(upstream)}";
    }

    public Uri? Target(string ticket)
    {
        lock (_gate)
        {
            return _byTicket.GetValueOrDefault(ticket);
        }
    }

    public void Refuse(string reason) => _refusal = reason;

    public void Failed(string reason) => _failure = reason;

    /// <summary>A URL for a log or a health reason: no query (it may carry a token), no user info.</summary>
    public static string Describe(Uri url) => url.IsAbsoluteUri && url.Scheme is "http" or "https"
        ? $"{url.Scheme}://{url.Authority}{url.AbsolutePath}"
        : url.Scheme + ":…";

    private static string SafeName(Uri upstream)
    {
        var name = upstream.IsAbsoluteUri ? Path.GetFileName(upstream.AbsolutePath) : "";
        var safe = new string(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_').Take(64).ToArray());
        return safe.Length > 0 ? safe : "media";
    }

    public void Dispose() => _gateway.Close(this);
}
