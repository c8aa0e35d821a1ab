namespace AlertHub.Server.Features.Media;

internal static class AlertImagesApi
{
    public static IHostApplicationBuilder AddAlertImages(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AlertImagesOptions>(builder.Configuration.GetSection("AlertImages"));
        builder.Services.AddSingleton<AlertImageStore>();
        return builder;
    }

    /// <summary>Public, anonymous: residents' phones, LINE's and FCM's servers fetch these. They carry no metadata.</summary>
    public static IEndpointConventionBuilder MapAlertImagesApi(this IEndpointRouteBuilder app) =>
        app.MapGet(AlertImageStore.PathPrefix + "{fileName}", Results<PhysicalFileHttpResult, ProblemHttpResult> (string fileName, AlertImageStore store,
            HttpContext http) =>
        {
            if (store.FilePath(fileName) is not { } path)
            {
                return Infrastructure.Problems.NotFoundProblem(Infrastructure.Problems.AlertImageFileNotFound, $"No alert image {fileName}.");
            }

            // Each id is written once and never changes.
            http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return TypedResults.PhysicalFile(path, "image/jpeg");
        }).WithTags("Alert images").AllowAnonymous();
}
