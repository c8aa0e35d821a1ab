using SkiaSharp;

namespace AlertHub.Server.Features.Media;

/// <summary>Why an upload is not a usable JPEG; each maps to a stable problem code.</summary>
public enum JpegProblem
{
    None,

    /// <summary>Not a JPEG at all (a PNG renamed .jpg, text, an empty body).</summary>
    NotJpeg,

    /// <summary>Starts like a JPEG but the data ends early (a cut-off upload).</summary>
    Truncated,

    /// <summary>Has JPEG markers but the decoder cannot read the picture.</summary>
    Undecodable,
}

/// <summary>
/// The JPEG checks and transforms cameras and drone photos share: is this a real, complete JPEG; a
/// resized copy for thumbnails and channel images; a full-size copy without EXIF/XMP (re-encoding drops
/// all metadata, which is how public copies lose their GPS position).
/// </summary>
public static class JpegImages
{
    /// <summary>Checks the SOI marker, the EOI marker near the end and that the decoder reads every row.</summary>
    public static JpegProblem Check(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF)
        {
            return JpegProblem.NotJpeg;
        }

        if (!EndsWithEoi(data))
        {
            return JpegProblem.Truncated;
        }

        using var stream = new SKMemoryStream(data.ToArray());
        using var codec = SKCodec.Create(stream, out var createResult);
        if (codec is null || createResult != SKCodecResult.Success || codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
        {
            return JpegProblem.Undecodable;
        }

        using var bitmap = new SKBitmap(codec.Info.Width, codec.Info.Height);
        return codec.GetPixels(bitmap.Info, bitmap.GetPixels()) switch
        {
            SKCodecResult.Success => JpegProblem.None,
            SKCodecResult.IncompleteInput => JpegProblem.Truncated,
            _ => JpegProblem.Undecodable,
        };
    }

    /// <summary>Width and height as the picture is shown (EXIF orientation applied), or null when it is not a decodable image.</summary>
    public static (int Width, int Height)? Dimensions(byte[] jpeg)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(jpeg));
        if (codec is null)
        {
            return null;
        }

        return SwapsSides(codec.EncodedOrigin) ? (codec.Info.Height, codec.Info.Width) : (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// A copy that fits inside <paramref name="maxWidth"/> × <paramref name="maxHeight"/> keeping the aspect
    /// ratio (never enlarged), re-encoded as JPEG without metadata.
    /// </summary>
    public static byte[] Resize(byte[] jpeg, int maxWidth, int maxHeight, int quality = 80)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeight, 1);
        using var source = Decode(jpeg);
        var scale = Math.Min(1.0, Math.Min((double)maxWidth / source.Width, (double)maxHeight / source.Height));
        var width = Math.Max(1, (int)Math.Round(source.Width * scale));
        var height = Math.Max(1, (int)Math.Round(source.Height * scale));
        if (width == source.Width && height == source.Height)
        {
            return Encode(source, quality);
        }

        using var resized = source.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        return Encode(resized ?? throw new InvalidDataException("The image could not be resized."), quality);
    }

    /// <summary>The same picture at full size with every EXIF/XMP/IPTC block dropped.</summary>
    public static byte[] WithoutMetadata(byte[] jpeg, int quality = 90)
    {
        using var source = Decode(jpeg);
        return Encode(source, quality);
    }

    private static bool EndsWithEoi(ReadOnlySpan<byte> data)
    {
        // Some encoders pad after EOI; look at the tail rather than only the last two bytes.
        var tail = data[Math.Max(0, data.Length - 64)..];
        for (var i = tail.Length - 2; i >= 0; i--)
        {
            if (tail[i] == 0xFF && tail[i + 1] == 0xD9)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Decodes and turns the picture upright. Phones and some drones store pixels as the sensor saw them and
    /// an EXIF Orientation tag saying how to turn them; every copy we make drops that tag, so the turn has to
    /// be baked into the pixels or thumbnails and public copies would lie on their side.
    /// </summary>
    private static SKBitmap Decode(byte[] jpeg)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(jpeg)) ?? throw new InvalidDataException("The data is not a decodable image.");
        var decoded = SKBitmap.Decode(codec) ?? throw new InvalidDataException("The data is not a decodable image.");
        var origin = codec.EncodedOrigin;
        if (origin is SKEncodedOrigin.TopLeft)
        {
            return decoded;
        }

        using (decoded)
        {
            float w = decoded.Width, h = decoded.Height;
            // x' = ScaleX·x + SkewX·y + TransX, y' = SkewY·x + ScaleY·y + TransY: where each stored pixel goes when upright.
            var toUpright = origin switch
            {
                SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),      // mirrored
                SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),  // upside down
                SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),    // flipped
                SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),        // transposed
                SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),      // turn 90° clockwise
                SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),  // transverse
                SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),    // turn 90° anticlockwise
                _ => SKMatrix.Identity,
            };
            var upright = SwapsSides(origin)
                ? new SKBitmap(decoded.Height, decoded.Width, decoded.ColorType, decoded.AlphaType)
                : new SKBitmap(decoded.Info);
            using var canvas = new SKCanvas(upright);
            canvas.SetMatrix(toUpright);
            canvas.DrawBitmap(decoded, 0, 0);
            return upright;
        }
    }

    private static bool SwapsSides(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private static byte[] Encode(SKBitmap bitmap, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }
}
