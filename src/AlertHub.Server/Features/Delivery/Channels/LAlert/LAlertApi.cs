using AlertHub.Server.Features.Auth;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>One node's acknowledgement of one publication.</summary>
internal sealed record LAlertSendView(string Node, string State, int Attempts, int? Code, string? Result, DateTimeOffset? LastAttemptAt, DateTimeOffset? AcknowledgedAt);

internal sealed record LAlertPublicationView(long Seq, string DocumentId, int Revision, string Category, string Status, string DistributionType,
    string DistributionId, string Summary, string? AlertId, int? AlertVersion, DateTimeOffset CreatedAt, IReadOnlyList<LAlertSendView> Sends);

/// <summary>
/// What the city published to Lアラート and what each node answered: <c>GET /api/lalert/publications</c> (newest first) and the
/// document itself, <c>GET /api/lalert/publications/{seq}.xml</c> (a plain-text download, never rendered).
/// </summary>
internal static class LAlertApi
{
    public static IEndpointRouteBuilder MapLAlertApi(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<LAlertOptions>>().Value.Enabled)
        {
            return app;
        }

        var group = app.MapGroup("/api/lalert").WithTags("Lアラート").RequireAuthorization(StaffRoles.Policies.Viewer);
        group.MapGet("/publications", async (int? limit, ILAlertRecordStore records, CancellationToken ct) =>
            TypedResults.Ok(await ListAsync(records, Math.Clamp(limit ?? 50, 1, 500), ct)));
        group.MapGet("/publications/{seq:long}.xml", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (long seq, ILAlertRecordStore records,
            CancellationToken ct) =>
        {
            return await records.XmlAsync(seq, ct) is { } xml
                ? TypedResults.File(xml, "text/plain; charset=utf-8", $"lalert-{seq}.xml")
                : Problems.NotFoundProblem(Problems.LAlertPublicationNotFound, $"No publication {seq}.");
        });
        return app;
    }

    private static async Task<List<LAlertPublicationView>> ListAsync(ILAlertRecordStore records, int limit, CancellationToken ct)
    {
        var publications = await records.ListAsync(limit, ct);
        var sends = (await records.SendsAsync([.. publications.Select(p => p.Seq)], ct)).ToLookup(s => s.PublicationSeq);
        return [.. publications.Select(p => new LAlertPublicationView(p.Seq, p.DocumentId, p.Revision, p.Category, p.Status, p.DistributionType,
            p.DistributionId, p.Summary, p.AlertId, p.AlertVersion, p.CreatedAt,
            [.. sends[p.Seq].Select(s => new LAlertSendView(s.Node, s.State, s.Attempts, s.Code, s.Result, s.LastAttemptAt, s.AcknowledgedAt))]))];
    }
}
