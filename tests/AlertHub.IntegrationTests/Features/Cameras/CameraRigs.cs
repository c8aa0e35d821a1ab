using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AlertHub.Server.Features.Cameras;
using AlertHub.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace AlertHub.IntegrationTests.Features.Cameras;

/// <summary>Test JPEGs drawn in-process: each label gives a different picture.</summary>
internal static class TestImages
{
    public static byte[] Jpeg(string label, int width = 320, int height = 180)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            var hue = (uint)label.GetHashCode() & 0xFFFFFF;
            canvas.Clear(new SKColor(0xFF000000 | hue));
            using var paint = new SKPaint { Color = SKColors.White };
            using var font = new SKFont { Size = 24 };
            canvas.DrawText(label, 10, height / 2f, font, paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
        return data.ToArray();
    }

    public static byte[] Png()
    {
        using var bitmap = new SKBitmap(8, 8);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

/// <summary>
/// A loopback HTTP server (Kestrel, random port) that plays camera: a still at <c>/snap.jpg</c> (swappable,
/// or failing), a static folder at <c>/hls/…</c> for an ffmpeg-made HLS camera, and the Authorization
/// headers it was sent.
/// </summary>
internal sealed class LoopbackCameraServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackCameraServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public byte[]? Still { get; set; }

    public bool Failing { get; set; }

    public string? HlsDirectory { get; set; }

    public ConcurrentQueue<string?> Authorizations { get; } = new();

    /// <summary>Requests per HLS file name.</summary>
    public ConcurrentDictionary<string, int> HlsRequests { get; } = new();

    /// <summary>Every request the server received, whatever the path ("GET /hls/index.m3u8").</summary>
    public ConcurrentQueue<string> AllRequests { get; } = new();

    /// <summary>Playlists made on each request, served at <c>/custom/{name}</c>.</summary>
    public ConcurrentDictionary<string, Func<string>> CustomPlaylists { get; } = new();

    /// <summary>Answers at <c>/redirect/{name}</c>: 302 to the URL.</summary>
    public ConcurrentDictionary<string, string> Redirects { get; } = new();

    public int Port => new Uri(BaseUrl).Port;

    public static async Task<LoopbackCameraServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new LoopbackCameraServer(app);
        app.Use((http, next) =>
        {
            server.AllRequests.Enqueue($"{http.Request.Method} {http.Request.Path}");
            return next(http);
        });
        app.MapGet("/custom/{name}", (string name) => server.CustomPlaylists.TryGetValue(name, out var make)
            ? Results.Text(make(), "application/vnd.apple.mpegurl")
            : Results.NotFound());
        app.MapGet("/redirect/{name}", (string name) => server.Redirects.TryGetValue(name, out var location) ? Results.Redirect(location) : Results.NotFound());
        app.MapGet("/snap.jpg", (HttpContext http) =>
        {
            server.Authorizations.Enqueue(http.Request.Headers.Authorization.ToString());
            return server.Failing || server.Still is null ? Results.StatusCode(503) : Results.Bytes(server.Still, "image/jpeg");
        });
        app.MapGet("/mjpeg", async (HttpContext http) =>
        {
            // A camera's multipart stream: a new picture every 200 ms, each part with its Content-Length.
            http.Response.ContentType = "multipart/x-mixed-replace; boundary=frame";
            for (var i = 0; !http.RequestAborted.IsCancellationRequested; i++)
            {
                var frame = TestImages.Jpeg($"mjpeg {i}");
                try
                {
                    await http.Response.WriteAsync($"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {frame.Length}\r\n\r\n", http.RequestAborted);
                    await http.Response.Body.WriteAsync(frame, http.RequestAborted);
                    await http.Response.WriteAsync("\r\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                    await Task.Delay(200, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
        app.MapGet("/hls/{file}", (string file) =>
        {
            server.HlsRequests.AddOrUpdate(file, 1, (_, n) => n + 1);
            var path = server.HlsDirectory is null || file.Contains('/') || file.Contains("..") ? null : Path.Combine(server.HlsDirectory, file);
            return path is null || !File.Exists(path)
                ? Results.NotFound()
                : Results.Bytes(File.ReadAllBytes(path), file.EndsWith(".m3u8", StringComparison.Ordinal) ? "application/vnd.apple.mpegurl" : "video/mp2t");
        });
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A child process a test owns; killed (whole tree) on dispose.</summary>
internal sealed class OwnedProcess : IDisposable
{
    private readonly Process _process;

    private OwnedProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static OwnedProcess Start(string program, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new OwnedProcess(process);
    }

    public async Task<string> ReadLineAsync(TimeSpan timeout) =>
        await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout) ?? throw new InvalidOperationException("the process closed its output");

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}

/// <summary>ffmpeg's testsrc as an HLS camera: segments and a live playlist in a folder the loopback server publishes.</summary>
internal sealed class HlsTestCamera : IDisposable
{
    private OwnedProcess? _ffmpeg;

    public HlsTestCamera()
    {
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "alerthub-hls-cam", Guid.NewGuid().ToString("N"));

    public void Start()
    {
        _ffmpeg = OwnedProcess.Start("ffmpeg", [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=15",
            "-vf", "drawtext=text='%{localtime}':fontcolor=white:fontsize=28:x=10:y=10:box=1:boxcolor=black@0.5",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-keyint_min", "15", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+independent_segments+temp_file",
            "-hls_segment_filename", Path.Combine(Folder, "seg_%05d.ts"), Path.Combine(Folder, "index.m3u8"),
        ]);
    }

    /// <summary>Stops the encoder: the playlist stays but no longer advances (a stuck upstream).</summary>
    public void Stop()
    {
        _ffmpeg?.Dispose();
        _ffmpeg = null;
    }

    public async Task WaitForPlaylistAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(Path.Combine(Folder, "index.m3u8")))
        {
            Assert.True(DateTime.UtcNow < deadline, "the HLS test camera wrote no playlist");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The GStreamer RTSP test camera (rtsp_test_camera.py, copied next to the tests) on a fixed loopback port, so it can be killed and brought back.</summary>
internal sealed class RtspTestCamera : IDisposable
{
    private OwnedProcess? _server;

    public int Port { get; } = FreePort();

    public string Url => $"rtsp://127.0.0.1:{Port}/cam";

    public async Task StartAsync()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Features", "Cameras", "rtsp_test_camera.py");
        _server = OwnedProcess.Start(Tools.SystemPython, [script, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "/cam"]);
        Assert.Equal(Url, await _server.ReadLineAsync(TimeSpan.FromSeconds(20)));
    }

    public void Kill()
    {
        _server?.Dispose();
        _server = null;
    }

    public void Dispose() => Kill();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A loopback TCP port that only counts who connects: the stand-in for a host the hub must never reach.</summary>
internal sealed class CountingListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _accepted;

    public CountingListener()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var socket = await _listener.AcceptSocketAsync();
                Interlocked.Increment(ref _accepted);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _listener.Stop();
}

/// <summary>An RTSP server on loopback that answers every request with 302 and a Location elsewhere (RFC 2326 §11.3.3).</summary>
internal sealed class RedirectingRtspServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _location;
    private int _requests;

    public RedirectingRtspServer(string location)
    {
        _location = location;
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Url => $"rtsp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/cam";

    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                _ = AnswerAsync(socket);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
        try
        {
            var cseq = "1";
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("CSeq:", StringComparison.OrdinalIgnoreCase))
                {
                    cseq = line[5..].Trim();
                }
                else if (line.Length == 0)
                {
                    Interlocked.Increment(ref _requests);
                    var answer = $"RTSP/1.0 302 Moved Temporarily\r\nCSeq: {cseq}\r\nLocation: {_location}\r\nContent-Length: 0\r\n\r\n";
                    await stream.WriteAsync(System.Text.Encoding.Latin1.GetBytes(answer));
                }
            }
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _listener.Stop();
}

internal static class CameraTestHelpers
{
    /// <summary>ffmpeg processes started for <paramref name="mediaRoot"/>, found through /proc as the hub's orphan sweep finds them.</summary>
    public static IReadOnlyList<int> OurFfmpegs(string mediaRoot) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : -1)
            .Where(pid => pid > 0 && MediaEngine.IsOurFfmpeg(pid, mediaRoot))
            .ToList();

    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>Collects every log message the hub writes, to prove secrets never reach a log.</summary>
internal sealed class CollectingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Collector(CollectingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Messages.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}
