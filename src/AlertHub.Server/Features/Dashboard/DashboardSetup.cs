using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Places;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Dashboard;

/// <param name="Channels">What the resident page offers: the enabled channels a resident signs up for themselves (see <see cref="ResidentChannelOffers"/>).</param>
/// <param name="TownPoints">How many 町字 points the place search knows (0: district names only, the demo set).</param>
/// <param name="TownAttribution">The credit line of the imported 町字 points, shown under the search.</param>
internal sealed record DashboardConfig(
    string TileUrl, string TileAttribution, string TileAttributionUrl, int TileMaxZoom, double[] MapCenter, string? LineFriendUrl,
    IReadOnlyList<string> HouseholdTags, bool WebPush, IReadOnlyList<ResidentChannelOffer> Channels, int TownPoints, string? TownAttribution);

/// <summary>A named place residents can pick instead of clicking the map (町字 / district areas), by a point inside it.</summary>
internal sealed record PublicPlace(string Id, string Name, string Kind, string? Code, double Lat, double Lon);

/// <summary>
/// Serves the staff dashboard (<c>/staff/</c>) and the resident page (<c>/</c>) from wwwroot; every response of the hub
/// carries the security headers of <see cref="SecurityHeaders"/>. Page routes fall back to their index.html;
/// <c>/api</c>, <c>/hubs</c>, <c>/live</c> and <c>/media</c> never do, so an unknown API path stays a 404 problem.
/// </summary>
internal static class DashboardSetup
{
    /// <summary>Area kinds anyone may list through <c>/api/dashboard/places</c>: what the resident page searches.</summary>
    public static IReadOnlySet<string> PublicPlaceKinds => AreaKinds.Public;

    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<DashboardOptions>(builder.Configuration.GetSection("Dashboard"));
        builder.Services.AddTransient<IStartupFilter, SecurityHeadersStartupFilter>();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<StaffConnectionGuard>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StaffConnectionGuard>());
        builder.Services.AddSingleton<IStaffEvents, HubStaffEvents>();
        return builder;
    }

    public static WebApplication UseDashboard(this WebApplication app)
    {
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        types.Mappings[".webmanifest"] = "application/manifest+json";
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = types,
            OnPrepareResponse = ctx =>
            {
                // Pages and our own modules change with every deploy; only the npm libraries are versioned by the lock file.
                ctx.Context.Response.Headers.CacheControl = ctx.Context.Request.Path.StartsWithSegments("/lib") ? "public, max-age=3600" : "no-cache";
                if (ctx.File.Name == "sw.js")
                {
                    ctx.Context.Response.Headers["Service-Worker-Allowed"] = "/";
                }
            },
        });
        return app;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapHub<StaffHub>(StaffHub.Path).RequireAuthorization(StaffRoles.Policies.Viewer);
        app.MapGet("/api/dashboard/config", (IOptions<DashboardOptions> options, IOptions<ResidentsOptions> residents, IConfiguration configuration,
            ChannelRegistry channels, TownPointStore towns) =>
        {
            var o = options.Value;
            var lineFriendUrl = string.IsNullOrWhiteSpace(o.LineFriendUrl) ? null : o.LineFriendUrl;
            return TypedResults.Ok(new DashboardConfig(o.TileUrl ?? "", o.TileAttribution, o.TileAttributionUrl, o.TileMaxZoom, o.MapCenter,
                lineFriendUrl, residents.Value.HouseholdTags, channels.IsKnown("webpush"),
                ResidentChannelOffers.For(channels, configuration, lineFriendUrl), towns.Count, towns.Set?.Attribution));
        }).WithTags("Dashboard").AllowAnonymous();

        // The resident page's 町字 search: district names and a point inside each are public knowledge (printed on hazard
        // maps), no geometry detail. Other kinds (flood and landslide zones, shelter zones, custom areas staff drew for one
        // alert) are staff working data and stay behind /api/areas.
        app.MapGet("/api/dashboard/places", Results<Ok<IEnumerable<PublicPlace>>, ProblemHttpResult> (AreaStore store, string? kind) =>
        {
            kind ??= "district";
            if (!PublicPlaceKinds.Contains(kind))
            {
                return Problems.BadRequest(Problems.PlaceKindNotPublic,
                    $"Only these kinds of area are listed here: {string.Join(", ", PublicPlaceKinds)}. Staff read every area at /api/areas.");
            }

            return TypedResults.Ok(store.All.Where(a => a.Kind == kind).Select(a =>
            {
                var point = a.Geometry.InteriorPoint;
                return new PublicPlace(a.Id, a.Name, a.Kind, a.Code, Math.Round(point.Y, 6), Math.Round(point.X, 6));
            }));
        }).WithTags("Dashboard").AllowAnonymous();

        app.MapFallbackToFile("/staff/{*path:nonfile}", "staff/index.html").AllowAnonymous();
        return app;
    }

    /// <summary>The pages' Content-Security-Policy (see <see cref="SecurityHeaders.PagePolicy"/>).</summary>
    internal static string ContentSecurityPolicy(string? tileUrl) => SecurityHeaders.PagePolicy(tileUrl);
}
