using System.Diagnostics;
using AlertHub.Server.Features.DronePhotos;
using AlertHub.Server.Features.Media;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using SkiaSharp;

namespace AlertHub.Benchmarks;

/// <summary>
/// Per drone photo, what <c>POST /api/drone-photos</c> spends CPU on (without disk and HTTP): the JPEG check (a full
/// decode), EXIF + DJI XMP extraction, and the staff thumbnail; plus the two public copies made when an alert attaches it.
/// The photo is a 4000×3000 (12 MP, the size of a DJI Mini/Air still) JPEG made here, tagged by exiftool when it is installed.
/// </summary>
[MemoryDiagnoser]
public class DronePhotoBenchmarks
{
    private byte[] _photo = [];

    internal bool Tagged { get; private set; }

    /// <summary><c>drone</c> mode: <c>drone quick</c> is a plain stopwatch; anything else goes to BenchmarkDotNet (e.g. <c>drone --job short</c>).</summary>
    internal static int Run(string[] args)
    {
        if (args is ["quick", ..])
        {
            var benchmark = new DronePhotoBenchmarks();
            benchmark.Setup();
            Console.WriteLine($"Photo: 4000×3000, {benchmark._photo.Length / 1024.0 / 1024.0:N1} MiB, DJI tags: {(benchmark.Tagged ? "yes (exiftool)" : "no (exiftool not found)")}");
            Measure("JpegImages.Check (full decode)", () => benchmark.Check());
            Measure("DronePhotoMetadata.Read (EXIF + DJI XMP)", () => benchmark.ReadMetadata());
            Measure("Thumbnail 320 px (JpegImages.Resize)", () => benchmark.Thumbnail());
            Measure("Upload pipeline (check + metadata + thumbnail)", () => benchmark.UploadPipeline());
            Measure("Alert image copies (1280 px + 400 px, byte-limited)", () => benchmark.AlertImageCopies());
            return 0;
        }

        BenchmarkRunner.Run<DronePhotoBenchmarks>(args: args);
        return 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        _photo = MakePhoto(4000, 3000);
        var tagged = TagWithExifTool(_photo);
        Tagged = tagged is not null;
        _photo = tagged ?? _photo;
        if (Tagged && !DronePhotoMetadata.Read(_photo).HasPosition)
        {
            throw new InvalidOperationException("exiftool ran but the benchmark photo has no readable GPS");
        }
    }

    [Benchmark]
    public JpegProblem Check() => JpegImages.Check(_photo);

    [Benchmark]
    public bool ReadMetadata() => DronePhotoMetadata.Read(_photo).HasPosition;

    [Benchmark]
    public byte[] Thumbnail() => JpegImages.Resize(_photo, 320, 320);

    [Benchmark]
    public int UploadPipeline()
    {
        var problem = JpegImages.Check(_photo);
        var metadata = DronePhotoMetadata.Read(_photo);
        var thumbnail = JpegImages.Resize(_photo, 320, 320);
        return (int)problem + (metadata.HasPosition ? 1 : 0) + thumbnail.Length;
    }

    [Benchmark]
    public int AlertImageCopies()
    {
        // As AlertImageStore.CreateAsync does: the preview is made from the full copy.
        var full = AlertImageStore.Fit(_photo, 1280, 1_000_000, 82);
        return full.Length + AlertImageStore.Fit(full, 400, 200_000, 82).Length;
    }

    private static void Measure(string name, Action action)
    {
        action();
        const int runs = 10;
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            action();
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine($"{name}: median {times[runs / 2]:N1} ms, min {times[0]:N1} ms, max {times[^1]:N1} ms over {runs} runs");
    }

    private static byte[] MakePhoto(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var gradient = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                    [new SKColor(40, 90, 50), new SKColor(140, 110, 70), new SKColor(70, 80, 160)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, width, height, gradient);
            var random = new Random(5);
            using var paint = new SKPaint { IsAntialias = true };
            for (var i = 0; i < 3000; i++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(3, 60), paint);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    private static byte[]? TagWithExifTool(byte[] jpeg)
    {
        var path = Path.Combine(Path.GetTempPath(), $"alerthub-bench-{Guid.NewGuid():N}.jpg");
        File.WriteAllBytes(path, jpeg);
        try
        {
            var info = new ProcessStartInfo("exiftool") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
            {
                "-overwrite_original", "-GPSLatitude=39.3114", "-GPSLatitudeRef=N", "-GPSLongitude=140.5535", "-GPSLongitudeRef=E",
                "-GPSAltitude=120.5", "-GPSAltitudeRef=0", "-DateTimeOriginal=2026:09:01 10:15:30", "-Make=DJI", "-Model=FC3411",
                "-XMP-drone-dji:RelativeAltitude=+45.20", "-XMP-drone-dji:GimbalYawDegree=-12.30", "-XMP-drone-dji:GimbalPitchDegree=-90.00", path,
            })
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            if (!process.WaitForExit(30_000))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 ? File.ReadAllBytes(path) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
