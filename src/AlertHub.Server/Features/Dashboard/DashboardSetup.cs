using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Residents;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Dashboard;

internal sealed record DashboardConfig(
    string TileUrl, string TileAttribution, string TileAttributionUrl, int TileMaxZoom, double[] MapCenter, string? LineFriendUrl,
    IReadOnlyList<string> HouseholdTags, bool WebPush);

/// <summary>A named place residents can pick instead of clicking the map (町字 / district areas), by a point inside it.</summary>
internal sealed record PublicPlace(string Id, string Name, string Kind, string? Code, double Lat, double Lon);

/// <summary>
/// Serves the staff dashboard (<c>/staff/</c>) and the resident page (<c>/</c>) from wwwroot with a strict
/// Content-Security-Policy. Page routes fall back to their index.html; <c>/api</c>, <c>/hubs</c>, <c>/live</c> and
/// <c>/media</c> never do, so an unknown API path stays a 404 problem.
/// </summary>
internal static class DashboardSetup
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<DashboardOptions>(builder.Configuration.GetSection("Dashboard"));
        return builder;
    }

    public static WebApplication UseDashboard(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value;
        var csp = ContentSecurityPolicy(options.TileUrl);
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        types.Mappings[".webmanifest"] = "application/manifest+json";
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = types,
            OnPrepareResponse = ctx =>
            {
                AddSecurityHeaders(ctx.Context.Response, csp);
                // Pages and our own modules change with every deploy; only the npm libraries are versioned by the lock file.
                ctx.Context.Response.Headers.CacheControl = ctx.Context.Request.Path.StartsWithSegments("/lib") ? "public, max-age=3600" : "no-cache";
                if (ctx.File.Name == "sw.js")
                {
                    ctx.Context.Response.Headers["Service-Worker-Allowed"] = "/";
                }
            },
        });
        app.Use(async (context, next) =>
        {
            if (IsPageRoute(context.Request.Path))
            {
                AddSecurityHeaders(context.Response, csp);
            }

            await next();
        });
        return app;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/dashboard/config", (IOptions<DashboardOptions> options, IOptions<ResidentsOptions> residents, IConfiguration configuration) =>
        {
            var o = options.Value;
            return TypedResults.Ok(new DashboardConfig(o.TileUrl ?? "", o.TileAttribution, o.TileAttributionUrl, o.TileMaxZoom, o.MapCenter,
                string.IsNullOrWhiteSpace(o.LineFriendUrl) ? null : o.LineFriendUrl, residents.Value.HouseholdTags,
                configuration.GetValue<bool>("Channels:WebPush:Enabled")));
        }).WithTags("Dashboard").AllowAnonymous();

        // Area names and a point inside each are public knowledge (they are printed on hazard maps); no geometry detail.
        app.MapGet("/api/dashboard/places", (AreaStore store, string? kind) =>
            TypedResults.Ok(store.All.Where(a => kind is null ? a.Kind == "district" : a.Kind == kind).Select(a =>
            {
                var point = a.Geometry.InteriorPoint;
                return new PublicPlace(a.Id, a.Name, a.Kind, a.Code, Math.Round(point.Y, 6), Math.Round(point.X, 6));
            }))).WithTags("Dashboard").AllowAnonymous();

        app.MapFallbackToFile("/staff/{*path:nonfile}", "staff/index.html").AllowAnonymous();
        return app;
    }

    private static bool IsPageRoute(PathString path) =>
        !(path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/live")
          || path.StartsWithSegments("/media") || path.StartsWithSegments("/feeds") || path.StartsWithSegments("/health"));

    private static void AddSecurityHeaders(HttpResponse response, string csp)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = csp;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }

    /// <summary>Scripts and styles only from the hub itself; images also from the tile server, if one is configured.</summary>
    internal static string ContentSecurityPolicy(string? tileUrl)
    {
        var tiles = "";
        if (!string.IsNullOrWhiteSpace(tileUrl) && Uri.TryCreate(tileUrl.Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal),
                UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            tiles = " " + uri.GetLeftPart(UriPartial.Authority);
        }

        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:" + tiles +
               "; connect-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
               "form-action 'self'; frame-ancestors 'none'";
    }
}
