namespace AlertHub.MobileSim.Report.Charts;

internal enum TextAnchor
{
    Start,
    Middle,
    End,
}

/// <summary>A drawing primitive in pixel coordinates (origin top left).</summary>
internal abstract record Shape;

/// <param name="Dash">Dash length in pixels, 0 for solid.</param>
internal sealed record PolylineShape(IReadOnlyList<(double X, double Y)> Points, string Stroke, double Width, double Dash = 0, string? Fill = null) : Shape;

internal sealed record RectShape(double X, double Y, double Width, double Height, string Fill, string? Stroke = null) : Shape;

internal sealed record CircleShape(double X, double Y, double Radius, string Fill) : Shape;

/// <param name="Rotate">Degrees around (X, Y), e.g. -90 for a y-axis label.</param>
internal sealed record TextShape(double X, double Y, string Text, double Size, string Fill, TextAnchor Anchor = TextAnchor.Start, bool Bold = false, double Rotate = 0) : Shape;

/// <summary>
/// One chart as a list of shapes, rendered the same way to inline SVG (report.html) and to PNG (SkiaSharp), so the
/// two never disagree.
/// </summary>
internal sealed class ChartScene(string name, string title, int width, int height)
{
    private readonly List<Shape> _shapes = [];

    /// <summary>File stem and element id, e.g. "latency-cdf".</summary>
    public string Name { get; } = name;

    public string Title { get; } = title;

    public int Width { get; } = width;

    public int Height { get; } = height;

    public IReadOnlyList<Shape> Shapes => _shapes;

    public void Add(Shape shape) => _shapes.Add(shape);
}
