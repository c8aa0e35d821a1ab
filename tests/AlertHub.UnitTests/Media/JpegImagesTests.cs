using AlertHub.Server.Features.Media;
using SkiaSharp;

namespace AlertHub.UnitTests.Media;

public class JpegImagesTests
{
    [Fact]
    public void A_complete_jpeg_passes()
    {
        Assert.Equal(JpegProblem.None, JpegImages.Check(MakeImage(640, 360, SKEncodedImageFormat.Jpeg)));
    }

    [Fact]
    public void A_png_renamed_jpg_is_not_a_jpeg()
    {
        Assert.Equal(JpegProblem.NotJpeg, JpegImages.Check(MakeImage(64, 64, SKEncodedImageFormat.Png)));
        Assert.Equal(JpegProblem.NotJpeg, JpegImages.Check(""u8));
    }

    [Fact]
    public void A_cut_off_jpeg_is_truncated()
    {
        var jpeg = MakeImage(640, 360, SKEncodedImageFormat.Jpeg);
        Assert.Equal(JpegProblem.Truncated, JpegImages.Check(jpeg.AsSpan(0, jpeg.Length / 2)));
    }

    [Fact]
    public void Garbage_between_the_markers_is_undecodable()
    {
        var bytes = new byte[2000];
        new Random(5).NextBytes(bytes);
        bytes[0] = 0xFF; bytes[1] = 0xD8; bytes[2] = 0xFF; bytes[3] = 0x01;
        bytes[^2] = 0xFF; bytes[^1] = 0xD9;
        Assert.Equal(JpegProblem.Undecodable, JpegImages.Check(bytes));
    }

    [Fact]
    public void Resize_keeps_the_aspect_ratio_and_never_enlarges()
    {
        var jpeg = MakeImage(1280, 720, SKEncodedImageFormat.Jpeg);
        Assert.Equal((320, 180), JpegImages.Dimensions(JpegImages.Resize(jpeg, 320, 320)));
        Assert.Equal((1280, 720), JpegImages.Dimensions(JpegImages.Resize(jpeg, 4000, 4000)));
    }

    [Fact]
    public void Without_metadata_drops_an_exif_block()
    {
        var jpeg = MakeImage(320, 240, SKEncodedImageFormat.Jpeg);
        // Splice an APP1 "Exif" segment right after SOI, as cameras and drones write it.
        byte[] app1 = [0xFF, 0xE1, 0x00, 0x10, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        var withExif = jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();
        Assert.Equal(JpegProblem.None, JpegImages.Check(withExif));
        Assert.True(ContainsExif(withExif));

        var stripped = JpegImages.WithoutMetadata(withExif);
        Assert.False(ContainsExif(stripped));
        Assert.Equal((320, 240), JpegImages.Dimensions(stripped));
    }

    private static bool ContainsExif(byte[] data) => data.AsSpan().IndexOf("Exif"u8) >= 0;

    private static byte[] MakeImage(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.SteelBlue);
            using var paint = new SKPaint { Color = SKColors.Orange };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 85);
        return data.ToArray();
    }
}
