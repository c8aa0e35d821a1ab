using System.Globalization;
using SkiaSharp;

namespace AlertHub.MobileSim.Report.Charts;

/// <summary>
/// Renders a <see cref="ChartScene"/> to PNG with SkiaSharp. The Linux native asset is the NoDependencies build
/// (no fontconfig), so the typeface is loaded from a font file; without one the PNG is drawn without text.
/// </summary>
internal static class PngRenderer
{
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/lato/Lato-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/System/Library/Fonts/Helvetica.ttc",
        @"C:\Windows\Fonts\arial.ttf",
    ];

    private static readonly Lazy<SKTypeface?> Typeface = new(LoadTypeface);

    /// <summary>Whether text can be drawn (a usable typeface was found).</summary>
    public static bool HasText => Typeface.Value is not null;

    /// <summary>Throws when the native library cannot be loaded; callers fall back to SVG files.</summary>
    public static byte[] Render(ChartScene scene, float scale = 1)
    {
        var info = new SKImageInfo((int)Math.Ceiling(scene.Width * scale), (int)Math.Ceiling(scene.Height * scale), SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info) ?? throw new InvalidOperationException("SkiaSharp could not create a raster surface.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        canvas.Scale(scale);
        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round };
        var typeface = Typeface.Value;
        foreach (var shape in scene.Shapes)
        {
            switch (shape)
            {
                case RectShape r:
                    fill.Color = Color(r.Fill);
                    canvas.DrawRect((float)r.X, (float)r.Y, (float)r.Width, (float)r.Height, fill);
                    if (r.Stroke is not null)
                    {
                        stroke.Color = Color(r.Stroke);
                        stroke.StrokeWidth = 1;
                        stroke.PathEffect = null;
                        canvas.DrawRect((float)r.X, (float)r.Y, (float)r.Width, (float)r.Height, stroke);
                    }

                    break;
                case CircleShape c:
                    fill.Color = Color(c.Fill);
                    canvas.DrawCircle((float)c.X, (float)c.Y, (float)c.Radius, fill);
                    break;
                case PolylineShape p when p.Points.Count > 1:
                    using (var path = new SKPath())
                    {
                        path.MoveTo((float)p.Points[0].X, (float)p.Points[0].Y);
                        foreach (var (x, y) in p.Points.Skip(1))
                        {
                            path.LineTo((float)x, (float)y);
                        }

                        if (p.Fill is not null)
                        {
                            fill.Color = Color(p.Fill);
                            canvas.DrawPath(path, fill);
                        }

                        stroke.Color = Color(p.Stroke);
                        stroke.StrokeWidth = (float)p.Width;
                        using var dash = p.Dash > 0 ? SKPathEffect.CreateDash([(float)p.Dash, (float)p.Dash], 0) : null;
                        stroke.PathEffect = dash;
                        canvas.DrawPath(path, stroke);
                        stroke.PathEffect = null;
                    }

                    break;
                case TextShape t when typeface is not null:
                    DrawText(canvas, typeface, t);
                    break;
            }
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static void DrawText(SKCanvas canvas, SKTypeface typeface, TextShape t)
    {
        using var font = new SKFont(typeface, (float)t.Size) { Embolden = t.Bold, Subpixel = true };
        using var paint = new SKPaint { IsAntialias = true, Color = Color(t.Fill) };
        var align = t.Anchor switch { TextAnchor.Middle => SKTextAlign.Center, TextAnchor.End => SKTextAlign.Right, _ => SKTextAlign.Left };
        canvas.Save();
        if (t.Rotate != 0)
        {
            canvas.RotateDegrees((float)t.Rotate, (float)t.X, (float)t.Y);
        }

        canvas.DrawText(t.Text, (float)t.X, (float)t.Y, align, font, paint);
        canvas.Restore();
    }

    private static SKTypeface? LoadTypeface()
    {
        foreach (var file in FontFiles)
        {
            if (File.Exists(file) && SKTypeface.FromFile(file) is { } face)
            {
                return face;
            }
        }

        // Platforms with a real font manager (Windows, macOS, fontconfig builds) answer here.
        var fallback = SKTypeface.FromFamilyName("sans-serif");
        return fallback is { GlyphCount: > 0 } ? fallback : null;
    }

    /// <summary>"#rrggbb" or "#rrggbbaa".</summary>
    private static SKColor Color(string hex) =>
        hex.Length == 9
            ? new SKColor(Hex(hex, 1), Hex(hex, 3), Hex(hex, 5), Hex(hex, 7))
            : new SKColor(Hex(hex, 1), Hex(hex, 3), Hex(hex, 5));

    private static byte Hex(string s, int at) => byte.Parse(s.AsSpan(at, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
