using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Dashboard;

/// <summary>
/// The security headers of every response the hub writes: pages and static files, API JSON, ProblemDetails, media,
/// feeds, <c>/live</c>, errors and 404s. They are set when the response starts, so an endpoint that knows better (a raw
/// feed document's sandbox) keeps its own policy, and an error handler that clears the response still gets them.
/// </summary>
/// <remarks>
/// Registered as a startup filter: it wraps the whole pipeline, so answers written before any endpoint runs (rate
/// limiting, body limits, authentication and authorization challenges, the exception handler) carry the headers too.
/// </remarks>
internal sealed class SecurityHeadersStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<SecurityHeadersMiddleware>();
        next(app);
    };
}

internal sealed class SecurityHeadersMiddleware(RequestDelegate next, IOptions<DashboardOptions> options)
{
    private readonly string _pagePolicy = SecurityHeaders.PagePolicy(options.Value.TileUrl);

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            SecurityHeaders.Apply(context, _pagePolicy);
            return Task.CompletedTask;
        });
        return next(context);
    }
}

internal static class SecurityHeaders
{
    /// <summary>
    /// Anything that is not one of our pages (JSON, problems, images, feeds, HLS, downloads): nothing in it may run or
    /// load anything, whatever a browser makes of it. Images and media stay viewable when opened on their own, and the
    /// e-mail confirmation pages under <c>/api/email</c> may still post their one form back.
    /// </summary>
    public const string ResourcePolicy =
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>
    /// Stored documents from feeds or users (raw JMA/CAP/L-Alert XML): a sandbox with a unique origin, no script, no
    /// subresources. Sent with <c>text/plain</c> and <c>Content-Disposition: attachment</c>, so a document that is also
    /// valid JavaScript, HTML or XML-with-XHTML can never run on the staff origin.
    /// </summary>
    public const string DocumentPolicy = "sandbox; default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>
    /// The pages: scripts, styles and connections from the hub only; images also from the tile server, if one is
    /// configured. No inline script or handler (<c>script-src-attr 'none'</c>), and Trusted Types: an HTML string can
    /// only reach <c>innerHTML</c> and its kin through the pages' one default policy (wwwroot/shared/trusted-types.js),
    /// which refuses markup, so a missed sink throws instead of parsing what a feed sent.
    /// </summary>
    public static string PagePolicy(string? tileUrl)
    {
        var tiles = "";
        if (!string.IsNullOrWhiteSpace(tileUrl) && Uri.TryCreate(tileUrl.Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal),
                UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            tiles = " " + uri.GetLeftPart(UriPartial.Authority);
        }

        return "default-src 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self'; img-src 'self' data: blob:" + tiles +
               "; connect-src 'self'; media-src 'self' blob:; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
               "form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types default";
    }

    /// <summary>Pages and the files they load; everything under these prefixes is data, not a page.</summary>
    public static bool IsPageRoute(PathString path) =>
        !(path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/live")
          || path.StartsWithSegments("/media") || path.StartsWithSegments("/feeds") || path.StartsWithSegments("/health"));

    public static void Apply(HttpContext context, string pagePolicy)
    {
        var headers = context.Response.Headers;
        if (string.IsNullOrEmpty(headers.ContentSecurityPolicy))
        {
            headers.ContentSecurityPolicy = IsPageRoute(context.Request.Path) ? pagePolicy : ResourcePolicy;
        }

        // Never negotiable: without it a browser may run a JSON answer or a stored XML document as a script.
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }
}
