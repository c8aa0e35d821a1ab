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

    // Where the stored picture's top-left (red) and top-right (green) corners must appear once upright, from the
    // EXIF definition of each Orientation value (which side the stored 0th row and 0th column are on).
    [Theory]
    [InlineData(1, "TL", "TR", false)]
    [InlineData(2, "TR", "TL", false)] // mirrored
    [InlineData(3, "BR", "BL", false)] // upside down
    [InlineData(4, "BL", "BR", false)] // flipped
    [InlineData(5, "TL", "BL", true)]  // 0th row = left side, 0th column = top
    [InlineData(6, "TR", "BR", true)]  // 0th row = right side, 0th column = top (phone held upright)
    [InlineData(7, "BR", "TR", true)]  // 0th row = right side, 0th column = bottom
    [InlineData(8, "BL", "TL", true)]  // 0th row = left side, 0th column = bottom
    public void Copies_are_turned_upright_by_the_exif_orientation(int orientation, string red, string green, bool sidesSwap)
    {
        var jpeg = WithOrientation(Quadrants(80, 40), orientation);
        var (width, height) = sidesSwap ? (40, 80) : (80, 40);

        Assert.Equal((width, height), JpegImages.Dimensions(jpeg));
        foreach (var copy in new[] { JpegImages.WithoutMetadata(jpeg), JpegImages.Resize(jpeg, 4000, 4000) })
        {
            using var upright = SKBitmap.Decode(copy);
            Assert.Equal((width, height), (upright.Width, upright.Height));
            Assert.Equal(SKColors.Red, Nearest(upright, red));
            Assert.Equal(SKColors.Lime, Nearest(upright, green));
        }

        using var thumbnail = SKBitmap.Decode(JpegImages.Resize(jpeg, 20, 20));
        Assert.Equal(sidesSwap ? (10, 20) : (20, 10), (thumbnail.Width, thumbnail.Height));
    }

    /// <summary>A picture whose four quadrants are red, lime (top right), blue and white.</summary>
    private static byte[] Quadrants(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var paint = new SKPaint();
            foreach (var (color, x, y) in new[] { (SKColors.Red, 0, 0), (SKColors.Lime, 1, 0), (SKColors.Blue, 0, 1), (SKColors.White, 1, 1) })
            {
                paint.Color = color;
                canvas.DrawRect(x * width / 2f, y * height / 2f, width / 2f, height / 2f, paint);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }

    /// <summary>Splices an APP1 Exif segment holding only an Orientation tag (big-endian TIFF) after SOI.</summary>
    private static byte[] WithOrientation(byte[] jpeg, int orientation)
    {
        byte[] app1 =
        [
            0xFF, 0xE1, 0x00, 34, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'M', (byte)'M', 0x00, 0x2A, 0, 0, 0, 8, // TIFF header, first IFD at 8
            0, 1,                                        // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, // Orientation, SHORT, 1 value
            0, 0, 0, 0,                                  // no next IFD
        ];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>The pure colour nearest to the centre of a quadrant (JPEG blurs exact values).</summary>
    private static SKColor Nearest(SKBitmap bitmap, string corner)
    {
        var x = corner[1] == 'L' ? bitmap.Width / 4 : bitmap.Width * 3 / 4;
        var y = corner[0] == 'T' ? bitmap.Height / 4 : bitmap.Height * 3 / 4;
        var c = bitmap.GetPixel(x, y);
        return new[] { SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.White }
            .MinBy(p => Math.Abs(p.Red - c.Red) + Math.Abs(p.Green - c.Green) + Math.Abs(p.Blue - c.Blue));
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
