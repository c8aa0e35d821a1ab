using System.Text;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Cameras;

namespace AlertHub.UnitTests.Cameras;

public sealed class CameraMediaParsingTests
{
    private static byte[] Frame(byte marker) => [0xFF, 0xD8, 0xFF, 0xE0, marker, 0x00, 0xFF, 0x00, 0x11, 0xFF, 0xD9];

    private static byte[] Multipart(bool withLength, params byte[][] frames)
    {
        var output = new MemoryStream();
        foreach (var frame in frames)
        {
            var header = withLength
                ? $"--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: {frame.Length}\r\n\r\n"
                : "--myboundary\r\nContent-Type: image/jpeg\r\n\r\n";
            output.Write(Encoding.ASCII.GetBytes(header));
            output.Write(frame);
            output.Write("\r\n"u8);
        }

        return output.ToArray();
    }

    /// <summary>Hands out the bytes a few at a time, as a pipe does.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 4096)]
    [InlineData(false, 3)]
    [InlineData(false, 4096)]
    public async Task MultipartReader_ReadsEveryFrameWhole_WithOrWithoutContentLength(bool withLength, int chunk)
    {
        var frames = new[] { Frame(1), Frame(2), Frame(3) };
        var reader = new MultipartJpegReader(new TrickleStream(Multipart(withLength, frames), chunk), 1000);
        foreach (var expected in frames)
        {
            Assert.Equal(expected, await reader.ReadFrameAsync(CancellationToken.None));
        }

        Assert.Null(await reader.ReadFrameAsync(CancellationToken.None));
    }

    [Fact]
    public async Task MultipartReader_FrameOverTheLimit_Throws()
    {
        var reader = new MultipartJpegReader(new MemoryStream(Multipart(true, new byte[5000])), 1000);
        await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadFrameAsync(CancellationToken.None));
    }

    [Fact]
    public void PlaylistRewrite_PointsSegmentsAndKeysAtTheHub_AndDropsOtherOrigins()
    {
        var playlist = """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-KEY:METHOD=AES-128,URI="key.bin"
            #EXTINF:1.0,
            seg_00001.ts
            #EXTINF:1.0,
            /other/seg_00002.ts?token=a
            #EXTINF:1.0,
            http://evil.example/seg.ts
            """;
        var origin = new Uri("http://cam.example:8080/live/index.m3u8");
        var rewritten = HlsProxy.Rewrite(playlist, origin, origin, "c1");
        var lines = rewritten.Split('\n');
        Assert.Contains("#EXT-X-VERSION:3", lines);
        Assert.DoesNotContain("evil.example", rewritten, StringComparison.Ordinal);
        var uris = lines.Where(l => l.StartsWith("/live/c1/u/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, uris.Count);
        Assert.Equal("/live/seg_00001.ts", Decode(uris[0]));
        Assert.Equal("/other/seg_00002.ts?token=a", Decode(uris[1]));
        var key = lines.Single(l => l.StartsWith("#EXT-X-KEY", StringComparison.Ordinal));
        Assert.Equal("/live/key.bin", Decode(key.Split("URI=\"")[1].TrimEnd('"')));
    }

    [Fact]
    public void PlaylistRewrite_UnquotedOrSpacedUriAttributesAndIndentedLines_NoForeignUrlSurvives()
    {
        // ffmpeg and hls.js both accept URI=value without quotes and skip blanks after a comma.
        var playlist = "#EXTM3U\n"
            + "#EXT-X-KEY:METHOD=AES-128,URI=http://evil.example/key\n"
            + "#EXT-X-MAP: URI=\"http://evil.example/init.mp4\"\n"
            + "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\", uri=\"http://evil.example/audio.m3u8\"\n"
            + "  #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"http://evil.example/iframes.m3u8\"\n"
            + "#EXTINF:1.0,\n"
            + "   http://evil.example/seg.ts\n"
            + "#EXTINF:1.0,\n"
            + "seg_00001.ts\n";
        var origin = new Uri("http://cam.example:8080/live/index.m3u8");
        var rewritten = HlsProxy.Rewrite(playlist, origin, origin, "c1");
        Assert.DoesNotContain("evil.example", rewritten, StringComparison.Ordinal);
        Assert.Equal("/live/seg_00001.ts", Decode(rewritten.Split('\n').Single(l => l.StartsWith("/live/c1/u/", StringComparison.Ordinal))));

        var seen = new List<string>();
        var local = HlsPlaylist.Rewrite(playlist, origin, u => { seen.Add(u.AbsoluteUri); return $"http://127.0.0.1:1/t/{seen.Count}"; });
        Assert.DoesNotContain("evil.example", local, StringComparison.Ordinal);
        Assert.Equal(
            ["http://evil.example/key", "http://evil.example/init.mp4", "http://evil.example/audio.m3u8", "http://evil.example/iframes.m3u8",
             "http://evil.example/seg.ts", "http://cam.example:8080/live/seg_00001.ts"],
            seen);
    }

    [Fact]
    public void Scrub_RemovesPasswordInEveryFormFfmpegMayPrint()
    {
        var credentials = new CameraCredentials("operator", "p@ss:w/rd");
        var url = CameraUrls.WithCredentials("rtsp://127.0.0.1:554/cam", credentials);
        Assert.Contains("p%40ss%3Aw%2Frd", url, StringComparison.Ordinal);
        var text = $"{url}: 401 Unauthorized; Authorization: {CameraUrls.BasicAuthorization(credentials)}; raw p@ss:w/rd";
        var scrubbed = CameraUrls.Scrub(text, credentials);
        Assert.DoesNotContain("p@ss", scrubbed, StringComparison.Ordinal);
        Assert.DoesNotContain("p%40ss", scrubbed, StringComparison.Ordinal);
        Assert.DoesNotContain(CameraUrls.BasicAuthorization(credentials)[6..], scrubbed, StringComparison.Ordinal);
        Assert.DoesNotContain("operator", scrubbed, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:554/cam", scrubbed, StringComparison.Ordinal);
    }

    private static string Decode(string local) =>
        Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(local.Split('/')[^1]));
}
