using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Auth;

namespace AlertHub.Server.Features.Targeting;

internal static class TargetingApi
{
    public static IHostApplicationBuilder AddTargeting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AreaNames>();
        builder.Services.AddSingleton(sp => new ResidentIndex(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<TargetingService>();
        builder.Services.AddSingleton<Health.IStartupStep, TargetingStartup>();
        return builder;
    }

    public static RouteGroupBuilder MapTargetingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/targeting").WithTags("Targeting").RequireAuthorization(StaffRoles.Policies.Viewer);

        // The dashboard calls this while an area is being drawn, so it only counts (no recipient list).
        group.MapPost("/preview", (PreviewRequest request, TargetingService targeting) =>
        {
            var result = targeting.Query(request.Area, request.Audience, request.Channels, request.IncludeCurrentLocations ?? true, collect: false);
            return TypedResults.Ok(new PreviewResponse(result.Recipients, result.Unreachable, result.ByChannel,
                targeting.DescribeAreas(request.Area, result), Math.Round(result.Elapsed.TotalMilliseconds, 2)));
        });

        return group;
    }
}
