using System.Diagnostics;
using SkiaSharp;

namespace AlertHub.IntegrationTests.Features.DronePhotos;

/// <summary>Test photos made in the test: a SkiaSharp JPEG, then EXIF/XMP written by the real exiftool (camera.md §5.7).</summary>
internal static class TestPhotos
{
    /// <summary>A JPEG with a gradient and shapes (so it compresses like a photo, not like a flat colour).</summary>
    public static byte[] Jpeg(int width = 1600, int height = 1200, int seed = 1)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var gradient = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                    [new SKColor(30, 90, (byte)(40 + seed)), new SKColor(150, 120, 80), new SKColor(60, 60, 200)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, width, height, gradient);
            var random = new Random(seed);
            using var paint = new SKPaint { IsAntialias = true };
            for (var i = 0; i < 200; i++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(4, Math.Max(5, width / 20)), paint);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>A PNG (for the "renamed .jpg" case).</summary>
    public static byte[] Png(int width = 64, int height = 48)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(SKColors.OrangeRed);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The DJI tags of camera.md §5.7: EXIF GPS, time, make/model, then drone-dji XMP.</summary>
    public static async Task<byte[]> DjiAsync(byte[] jpeg, double lat, double lon, string? offsetTime = null)
    {
        string[] exif =
        [
            $"-GPSLatitude={Math.Abs(lat).ToString(System.Globalization.CultureInfo.InvariantCulture)}", $"-GPSLatitudeRef={(lat >= 0 ? "N" : "S")}",
            $"-GPSLongitude={Math.Abs(lon).ToString(System.Globalization.CultureInfo.InvariantCulture)}", $"-GPSLongitudeRef={(lon >= 0 ? "E" : "W")}",
            "-GPSAltitude=120.5", "-GPSAltitudeRef=0", "-DateTimeOriginal=2026:09:01 10:15:30", "-Make=DJI", "-Model=FC3411",
        ];
        if (offsetTime is not null)
        {
            exif = [.. exif, $"-OffsetTimeOriginal={offsetTime}"];
        }

        var tagged = await ExifToolAsync(jpeg, exif);
        return await ExifToolAsync(tagged, "-XMP-drone-dji:RelativeAltitude=+45.20", "-XMP-drone-dji:GimbalYawDegree=-12.30",
            "-XMP-drone-dji:GimbalPitchDegree=-90.00", "-XMP-drone-dji:FlightYawDegree=+178.40");
    }

    /// <summary>Runs <c>exiftool -overwrite_original ARGS file</c> on a copy of <paramref name="jpeg"/> and returns the result.</summary>
    public static async Task<byte[]> ExifToolAsync(byte[] jpeg, params string[] arguments)
    {
        var path = Path.Combine(Path.GetTempPath(), $"alerthub-drone-{Guid.NewGuid():N}.jpg");
        await File.WriteAllBytesAsync(path, jpeg);
        try
        {
            var info = new ProcessStartInfo("exiftool") { RedirectStandardError = true, RedirectStandardOutput = true };
            info.ArgumentList.Add("-overwrite_original");
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            info.ArgumentList.Add(path);
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("exiftool did not finish within 30 s");
            }

            Assert.True(process.ExitCode == 0, $"exiftool failed: {await stderr} {await stdout}");
            return await File.ReadAllBytesAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
