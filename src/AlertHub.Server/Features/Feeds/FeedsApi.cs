using AlertHub.Core.Feeds;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Feeds.Polling;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Feeds;

internal sealed record IngestResponse(string EventId, bool Duplicate, bool Applied, string? Outcome, string? AlertId, string? Family,
    string? SeriesKey, string? Lifecycle, string? Operational, bool? Interpreted);

internal static class FeedsApi
{
    public static IHostApplicationBuilder AddFeeds(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<FeedsOptions>(builder.Configuration.GetSection("Feeds"));
        builder.Services.AddSingleton<FeedRecords>();
        builder.Services.Configure<AreaCodeTableOptions>(builder.Configuration.GetSection("Feeds:CodeTable"));
        builder.Services.AddSingleton<AreaCodeTable>();
        builder.Services.Configure<PlaceNamesOptions>(builder.Configuration.GetSection("Feeds:PlaceNames"));
        builder.Services.AddSingleton<PlaceNames>();
        builder.Services.AddSingleton<FeedIntake>();
        builder.Services.AddSingleton<Polling.IFeedIntake>(sp => sp.GetRequiredService<FeedIntake>());
        builder.AddJmaFeedPolling();
        return builder;
    }

    public static RouteGroupBuilder MapFeedsApi(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/api/feeds").WithTags("Feeds");

        // Pushed documents (JMA telegram, L-Alert EDXL-DE or SOAP, CAP). Oversize bodies are read only up to the
        // limit, then quarantined: the body limit here is the feed limit, not the request limit.
        feeds.MapPost("/{source}", async Task<Results<Created<IngestResponse>, Ok<IngestResponse>, ProblemHttpResult>> (string source, HttpRequest request,
            FeedIntake intake, IOptions<FeedsOptions> options, CancellationToken ct) =>
        {
            FeedSource? kind = source switch { "jma" => FeedSource.Jma, "lalert" => FeedSource.LAlert, "cap" => FeedSource.Cap, _ => null };
            if (kind is null)
            {
                return Problems.NotFoundProblem(Problems.FeedDocumentUnknownSource, "Feeds are jma, lalert or cap.");
            }

            // An oversize body is read one byte past the limit, so the intake sees it is too large and quarantines its start.
            var body = await BoundedRead.ReadAsync(request.Body, options.Value.MaxDocumentBytes, ct);
            var result = await intake.IngestAsync(kind, body.Bytes, "push:" + request.HttpContext.User.Actor(), ct);
            if (!result.Accepted && !result.Duplicate)
            {
                return Problems.Create(Problems.StatusOf(result.RejectionCode!), result.RejectionCode!, "The document was rejected and quarantined.", result.RejectionReason);
            }

            var e = result.Event;
            var response = new IngestResponse(result.EventId!, result.Duplicate, result.Applied, result.Outcome, result.AlertId, e?.Family, e?.SeriesKey,
                e?.Lifecycle.ToString(), e?.Operational.ToString(), e?.Interpreted);
            return result.Duplicate ? TypedResults.Ok(response) : TypedResults.Created($"/api/events/{result.EventId}", response);
        }).RequireAuthorization(StaffRoles.Policies.Ingest).WithMetadata(new BodyLimit(long.MaxValue));

        feeds.MapGet("/status", (FeedPollerStatus status) => TypedResults.Ok(status.Snapshot())).RequireAuthorization(StaffRoles.Policies.Viewer);

        feeds.MapGet("/quarantine", async (FeedRecords store, int? limit, CancellationToken ct) =>
            TypedResults.Ok(await store.ListQuarantineAsync(Math.Clamp(limit ?? 100, 1, 1000), ct))).RequireAuthorization(StaffRoles.Policies.Viewer);

        var events = app.MapGroup("/api/events").WithTags("Events").RequireAuthorization(StaffRoles.Policies.Viewer);
        // code: any of a city's forms (05203, 052035, 0520300), scheme:code, or a code with scheme= (320 is a
        // 地震細分区域 and a 津波予報区: scheme=jma-seismic or jma-tsunami says which).
        events.MapGet("/", async Task<Results<Ok<IEnumerable<object>>, ProblemHttpResult>> (FeedRecords store, DateTimeOffset? since, DateTimeOffset? until,
            string? family, string? code, string? scheme, string? lifecycle, string? source, int? limit, CancellationToken ct) =>
        {
            string? stored = null;
            if (code is not null)
            {
                var (resolved, problem, detail) = EventCodes.Resolve(code, scheme);
                if (problem is not null)
                {
                    return Problems.BadRequest(problem, detail!);
                }

                stored = resolved;
            }

            return TypedResults.Ok((await store.ListAsync(new EventFilter(since, until, family, stored, lifecycle, source, Math.Clamp(limit ?? 100, 1, 1000)), ct))
                .Select(object (e) => new { e.Id, e.Source, e.Family, e.Interpreted, e.SeriesKey, e.Revision, e.Lifecycle, e.Operational, e.Category, e.Severity,
                    e.IssuedAt, e.Headline, e.Codes, e.Applied, e.Outcome, e.AlertId, e.ReceivedAt, Raw = $"/api/events/{e.Id}/raw" }));
        });

        events.MapGet("/{id}", async Task<Results<Ok<object>, ProblemHttpResult>> (string id, FeedRecords store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } found
                ? TypedResults.Ok<object>(new { found.Stored, Event = found.Event, Raw = $"/api/events/{id}/raw" })
                : Problems.NotFoundProblem(Problems.EventNotFound, $"No event {id}."));

        // The document exactly as the feed sent it, which is whatever the sender wanted it to be: a CAP alert can also be
        // valid JavaScript, a telegram can carry XHTML. Served as a plain-text download in a sandbox, never as XML on the
        // staff origin, so it can neither run as a <script> nor render as a page.
        events.MapGet("/{id}/raw", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (string id, FeedRecords store, HttpContext http, CancellationToken ct) =>
        {
            if (await store.GetRawAsync(id, ct) is not { } raw)
            {
                return Problems.NotFoundProblem(Problems.EventNotFound, $"No event {id}.");
            }

            // No charset: the bytes are kept as sent (Shift_JIS and EUC-JP senders exist) and the XML declaration names it.
            http.Response.Headers.ContentSecurityPolicy = Dashboard.SecurityHeaders.DocumentPolicy;
            return TypedResults.File(raw, "text/plain", fileDownloadName: $"event-{id}.xml");
        });

        return feeds;
    }
}
