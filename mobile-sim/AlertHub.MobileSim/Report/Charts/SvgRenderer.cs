using System.Globalization;
using System.Net;
using System.Text;

namespace AlertHub.MobileSim.Report.Charts;

internal static class SvgRenderer
{
    /// <param name="standalone">A .svg file needs the namespace; inline SVG in HTML does not (and then holds no URL at all).</param>
    public static string Render(ChartScene scene, bool standalone = false)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"<svg {(standalone ? "xmlns=\"http://www.w3.org/2000/svg\" " : "")}id=\"{scene.Name}\" class=\"chart\" viewBox=\"0 0 {scene.Width} {scene.Height}\" width=\"{scene.Width}\" height=\"{scene.Height}\" role=\"img\" aria-label=\"{Esc(scene.Title)}\" font-family=\"sans-serif\">");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{Esc(scene.Title)}</title>");
        string? openFill = null;
        foreach (var shape in scene.Shapes)
        {
            // Runs of same-coloured dots share one <g fill>: the map has up to 20,000 of them.
            if (shape is CircleShape c)
            {
                if (openFill != c.Fill)
                {
                    if (openFill is not null)
                    {
                        sb.Append("</g>");
                    }

                    sb.Append(CultureInfo.InvariantCulture, $"<g fill=\"{c.Fill}\">");
                    openFill = c.Fill;
                }

                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(c.X)}\" cy=\"{N(c.Y)}\" r=\"{N(c.Radius)}\"/>");
                continue;
            }

            if (openFill is not null)
            {
                sb.Append("</g>");
                openFill = null;
            }

            switch (shape)
            {
                case RectShape r:
                    sb.Append(CultureInfo.InvariantCulture,
                        $"<rect x=\"{N(r.X)}\" y=\"{N(r.Y)}\" width=\"{N(r.Width)}\" height=\"{N(r.Height)}\" fill=\"{r.Fill}\"{(r.Stroke is null ? "" : $" stroke=\"{r.Stroke}\"")}/>");
                    break;
                case PolylineShape p:
                    sb.Append(CultureInfo.InvariantCulture,
                        $"<polyline points=\"{string.Join(' ', p.Points.Select(pt => N(pt.X) + "," + N(pt.Y)))}\" fill=\"{p.Fill ?? "none"}\" stroke=\"{p.Stroke}\" stroke-width=\"{N(p.Width)}\" stroke-linejoin=\"round\"{(p.Dash > 0 ? $" stroke-dasharray=\"{N(p.Dash)} {N(p.Dash)}\"" : "")}/>");
                    break;
                case TextShape t:
                    var anchor = t.Anchor switch { TextAnchor.Middle => "middle", TextAnchor.End => "end", _ => "start" };
                    sb.Append(CultureInfo.InvariantCulture,
                        $"<text x=\"{N(t.X)}\" y=\"{N(t.Y)}\" font-size=\"{N(t.Size)}\" fill=\"{t.Fill}\" text-anchor=\"{anchor}\"{(t.Bold ? " font-weight=\"bold\"" : "")}{(t.Rotate != 0 ? $" transform=\"rotate({N(t.Rotate)} {N(t.X)} {N(t.Y)})\"" : "")}>{Esc(t.Text)}</text>");
                    break;
            }
        }

        if (openFill is not null)
        {
            sb.Append("</g>");
        }

        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string N(double v) => Math.Round(v, 1).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
