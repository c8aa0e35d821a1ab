using AlertHub.Core.Storage;
using AlertHub.Server.Features.DronePhotos;
using AlertHub.Server.Features.Media;
using SkiaSharp;

namespace AlertHub.UnitTests.DronePhotos;

public sealed class DronePhotoMetadataTests
{
    private static byte[] Jpeg(int width, int height, bool noisy = false)
    {
        using var bitmap = new SKBitmap(width, height);
        if (noisy)
        {
            // Noise compresses badly: the worst case for the byte limits.
            var random = new Random(42);
            var pixels = new byte[width * height * 4];
            random.NextBytes(pixels);
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        }
        else
        {
            bitmap.Erase(SKColors.SteelBlue);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }

    [Fact]
    public void Read_JpegWithoutMetadata_HasNoPositionAndNoTime()
    {
        var metadata = DronePhotoMetadata.Read(Jpeg(64, 48));

        Assert.False(metadata.HasPosition);
        Assert.Null(metadata.TakenAt);
        Assert.Equal(TakenAtZone.None, metadata.TakenAtZone);
        Assert.Null(metadata.Make);
        Assert.Null(metadata.RelativeAltitude);
    }

    [Fact]
    public void Read_BrokenExifSegment_DoesNotThrow()
    {
        var jpeg = Jpeg(64, 48);
        // An APP1 "Exif" segment whose TIFF header is garbage, inserted after SOI.
        byte[] app1 = [0xFF, 0xE1, 0x00, 0x10, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0, 0x49, 0x49, 0x2A, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
        var broken = jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();

        var metadata = DronePhotoMetadata.Read(broken);

        Assert.False(metadata.HasPosition);
    }

    [Theory]
    [InlineData("+09:00", 9 * 60)]
    [InlineData("-03:30", -(3 * 60 + 30))]
    [InlineData("+00:00", 0)]
    [InlineData("9", 9 * 60)]
    [InlineData("-5", -5 * 60)]
    public void ParseOffset_ExifForms_AreRead(string text, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), DronePhotoMetadata.ParseOffset(text));

    [Theory]
    [InlineData("")]
    [InlineData("JST")]
    [InlineData("+25:00")]
    [InlineData("   :  ")]
    public void ParseOffset_Garbage_IsNull(string text) => Assert.Null(DronePhotoMetadata.ParseOffset(text));

    [Theory]
    [InlineData(0.0, 0.0, true)]
    [InlineData(90.0, 180.0, true)]
    [InlineData(90.1, 0.0, false)]
    [InlineData(0.0, -180.1, false)]
    [InlineData(double.NaN, 0.0, false)]
    public void IsValidPosition_Ranges(double lat, double lon, bool expected) => Assert.Equal(expected, DronePhotoMetadata.IsValidPosition(lat, lon));

    [Fact]
    public void Fit_NoisyPhoto_StaysWithinTheByteLimitAndThePixelLimit()
    {
        var copy = AlertImageStore.Fit(Jpeg(2000, 1500, noisy: true), 1280, 150_000, 82);

        Assert.InRange(copy.Length, 1, 150_000);
        var (width, height) = JpegImages.Dimensions(copy)!.Value;
        Assert.True(width <= 1280 && height <= 1280, $"{width}×{height}");
        Assert.Equal(JpegProblem.None, JpegImages.Check(copy));
    }

    [Fact]
    public void Fit_SmallPhoto_IsNotEnlarged()
    {
        var copy = AlertImageStore.Fit(Jpeg(300, 200), 1280, 1_000_000, 82);

        Assert.Equal((300, 200), JpegImages.Dimensions(copy));
    }
}
