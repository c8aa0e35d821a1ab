using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using AlertHub.Server.Features.Security;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// A loopback TCP relay between one ffmpeg and one RTSP camera, so ffmpeg never opens a connection of its own
/// to anything but 127.0.0.1. The hub connects upstream through the outbound policy (DNS resolved and
/// checked now, TLS for rtsps terminated here) and reads the camera's side of the conversation: interleaved
/// media frames pass untouched, RTSP messages are checked before they are passed on. A 3xx answer or a
/// server-sent REDIRECT would make ffmpeg connect wherever it names, so the relay refuses them (ends the
/// session and records why) instead of handing them over. ffmpeg is started with <c>-rtsp_transport tcp</c>,
/// so no media flows outside this connection.
/// </summary>
internal sealed class RtspRelay : IAsyncDisposable
{
    private const int MaxHeaderBytes = 64 * 1024;
    private const int MaxBodyBytes = 1024 * 1024;
    private readonly TcpListener _listener;
    private readonly Uri _upstream;
    private readonly OutboundUrlPolicy _policy;
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    private RtspRelay(TcpListener listener, Uri upstream, OutboundUrlPolicy policy)
    {
        _listener = listener;
        _upstream = upstream;
        _policy = policy;
    }

    /// <summary>The URL to give ffmpeg: the camera's path and query on the relay's loopback port.</summary>
    public string LocalUrl { get; private set; } = "";

    /// <summary>Why the relay ended the session (a refused redirect, a refused address), or null.</summary>
    public string? Refusal { get; private set; }

    /// <summary>Why the camera could not be reached (connection refused, no route), or null; ffmpeg only sees the relay close.</summary>
    public string? Failure { get; private set; }

    public static RtspRelay Start(string cameraUrl, OutboundUrlPolicy policy)
    {
        var upstream = new Uri(cameraUrl);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(1);
        var relay = new RtspRelay(listener, upstream, policy);
        relay.LocalUrl = new UriBuilder(upstream) { Scheme = "rtsp", Host = "127.0.0.1", Port = ((IPEndPoint)listener.LocalEndpoint).Port }.Uri.AbsoluteUri;
        relay._run = relay.RunAsync(relay._stop.Token);
        return relay;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // One ffmpeg, one connection: ffmpeg reconnecting (after a redirect, say) finds nobody listening.
            using var client = await _listener.AcceptSocketAsync(cancellationToken);
            _listener.Stop();
            client.NoDelay = true;
            await using var local = new NetworkStream(client, ownsSocket: false);
            Stream remote;
            var port = _upstream.Port > 0 ? _upstream.Port : _upstream.Scheme == "rtsps" ? 322 : 554;
            try
            {
                var socket = await _policy.ConnectSocketAsync(_upstream.IdnHost, port, cancellationToken);
                remote = new NetworkStream(socket, ownsSocket: true);
            }
            catch (OutboundRefusedException e)
            {
                Refusal = $"{_upstream.Scheme}://{_upstream.Authority}: {e.Reason}";
                return;
            }
            catch (SocketException e)
            {
                Failure = $"{_upstream.Scheme}://{_upstream.Authority}: {e.Message}";
                return;
            }

            if (_upstream.Scheme == "rtsps")
            {
                var tls = new SslStream(remote, leaveInnerStreamOpen: false);
                remote = tls;
                try
                {
                    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _upstream.IdnHost }, cancellationToken);
                }
                catch
                {
                    await tls.DisposeAsync();
                    throw;
                }
            }

            await using (remote)
            {
                using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var up = CopyRequestsAsync(local, remote, session.Token);
                var down = CopyAnswersAsync(remote, local, session.Token);
                await Task.WhenAny(up, down);
                await session.CancelAsync();
                await Task.WhenAll(Quietly(up), Quietly(down));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // The session ended; ffmpeg reports the failure and the supervisor restarts it.
        }
    }

    private static async Task CopyRequestsAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        int n;
        while ((n = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            await to.FlushAsync(cancellationToken);
        }
    }

    private async Task CopyAnswersAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var input = new BufferedStream(from, 65536);
        var one = new byte[1];
        while (await input.ReadAsync(one, cancellationToken) == 1)
        {
            if (one[0] == (byte)'$')
            {
                // Interleaved binary data: '$', channel, 16-bit length, payload.
                var head = new byte[4];
                head[0] = one[0];
                await input.ReadExactlyAsync(head.AsMemory(1, 3), cancellationToken);
                var payload = new byte[(head[2] << 8) | head[3]];
                await input.ReadExactlyAsync(payload, cancellationToken);
                await to.WriteAsync(head, cancellationToken);
                await to.WriteAsync(payload, cancellationToken);
                await to.FlushAsync(cancellationToken);
                continue;
            }

            var header = new MemoryStream();
            header.WriteByte(one[0]);
            while (!EndsWithBlankLine(header))
            {
                if (await input.ReadAsync(one, cancellationToken) != 1)
                {
                    return;
                }

                header.WriteByte(one[0]);
                if (header.Length > MaxHeaderBytes)
                {
                    throw new IOException("RTSP header too long");
                }
            }

            var text = Encoding.Latin1.GetString(header.GetBuffer(), 0, (int)header.Length);
            if (Refuse(text) is { } refusal)
            {
                Refusal = refusal;
                return;
            }

            await to.WriteAsync(header.GetBuffer().AsMemory(0, (int)header.Length), cancellationToken);
            if (ContentLength(text) is > 0 and var length)
            {
                if (length > MaxBodyBytes)
                {
                    throw new IOException("RTSP body too long");
                }

                var body = new byte[length];
                await input.ReadExactlyAsync(body, cancellationToken);
                await to.WriteAsync(body, cancellationToken);
            }

            await to.FlushAsync(cancellationToken);
        }
    }

    /// <summary>Why a camera's message must not reach ffmpeg: a redirect, as an answer or as a request from the server.</summary>
    private string? Refuse(string header)
    {
        var firstLine = header[..Math.Max(0, header.IndexOf('\n', StringComparison.Ordinal))].Trim();
        var parts = firstLine.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        var isRedirectAnswer = parts.Length >= 2 && parts[0].StartsWith("RTSP/", StringComparison.OrdinalIgnoreCase) && parts[1].Length == 3 && parts[1][0] == '3';
        var isRedirectRequest = parts.Length >= 1 && parts[0].Equals("REDIRECT", StringComparison.OrdinalIgnoreCase);
        if (!isRedirectAnswer && !isRedirectRequest)
        {
            return null;
        }

        var location = header.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Location:", StringComparison.OrdinalIgnoreCase))?[9..].Trim()
            ?? (isRedirectRequest && parts.Length >= 2 ? parts[1] : "(no Location)");
        var what = isRedirectAnswer ? $"answered RTSP {parts[1]}" : "sent REDIRECT";
        return $"{_upstream.Scheme}://{_upstream.Authority} {what} to {Describe(location)}; RTSP redirects are not followed, register the final URL";
    }

    private static string Describe(string location) =>
        Uri.TryCreate(location, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : location.Length > 100 ? location[..100] : location;

    private static int? ContentLength(string header)
    {
        foreach (var line in header.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(trimmed[15..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                return length;
            }
        }

        return null;
    }

    private static bool EndsWithBlankLine(MemoryStream header)
    {
        var b = header.GetBuffer();
        var n = (int)header.Length;
        return (n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n') || (n >= 2 && b[n - 2] == '\n' && b[n - 1] == '\n');
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_run is not null)
        {
            await Task.WhenAny(_run, Task.Delay(TimeSpan.FromSeconds(5)));
        }

        _stop.Dispose();
    }
}
