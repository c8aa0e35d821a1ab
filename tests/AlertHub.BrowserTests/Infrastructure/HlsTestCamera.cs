using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlertHub.BrowserTests.Infrastructure;

/// <summary>
/// A live camera on 127.0.0.1: ffmpeg's testsrc encoded to H.264 HLS (1 s segments) into a temporary folder
/// that a small Kestrel server publishes at <c>/hls/…</c>. The ffmpeg child is killed in Dispose.
/// </summary>
public sealed class HlsTestCamera : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "alerthub-browser-hls", Guid.NewGuid().ToString("N"));
    private Process? _ffmpeg;
    private WebApplication? _server;

    public string PlaylistUrl { get; private set; } = "";

    public static async Task<HlsTestCamera> StartAsync()
    {
        var camera = new HlsTestCamera();
        Directory.CreateDirectory(camera._folder);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        camera._server = builder.Build();
        camera._server.MapGet("/hls/{file}", (string file) =>
        {
            if (file.Contains('/', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal))
            {
                return Results.NotFound();
            }

            var path = Path.Combine(camera._folder, file);
            return File.Exists(path)
                ? Results.Bytes(File.ReadAllBytes(path), file.EndsWith(".m3u8", StringComparison.Ordinal) ? "application/vnd.apple.mpegurl" : "video/mp2t")
                : Results.NotFound();
        });
        await camera._server.StartAsync();
        var address = camera._server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        camera.PlaylistUrl = $"{address}/hls/index.m3u8";

        camera._ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg",
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "10", "-keyint_min", "10", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+independent_segments+temp_file",
            "-hls_segment_filename", Path.Combine(camera._folder, "seg_%05d.ts"), Path.Combine(camera._folder, "index.m3u8"),
        ]) { RedirectStandardError = true, UseShellExecute = false })!;
        camera._ffmpeg.ErrorDataReceived += (_, _) => { };
        camera._ffmpeg.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(Path.Combine(camera._folder, "index.m3u8")))
        {
            Assert.True(DateTime.UtcNow < deadline && !camera._ffmpeg.HasExited, "the ffmpeg HLS test camera wrote no playlist");
            await Task.Delay(100);
        }

        return camera;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ffmpeg is { HasExited: false })
        {
            _ffmpeg.Kill(entireProcessTree: true);
            await _ffmpeg.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _ffmpeg?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
