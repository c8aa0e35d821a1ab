using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Storage;
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
        group.MapGet("/publications", async (int? limit, Database database, CancellationToken ct) =>
            TypedResults.Ok(await ListAsync(database, Math.Clamp(limit ?? 50, 1, 500), ct)));
        group.MapGet("/publications/{seq:long}.xml", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (long seq, Database database, CancellationToken ct) =>
        {
            await using var connection = await database.OpenAsync(ct);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT xml FROM lalert_publications WHERE seq = $s";
            cmd.Parameters.AddWithValue("$s", seq);
            return await cmd.ExecuteScalarAsync(ct) is byte[] xml
                ? TypedResults.File(xml, "text/plain; charset=utf-8", $"lalert-{seq}.xml")
                : Problems.NotFoundProblem(Problems.LAlertPublicationNotFound, $"No publication {seq}.");
        });
        return app;
    }

    private static async Task<List<LAlertPublicationView>> ListAsync(Database database, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var list = new List<LAlertPublicationView>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT seq, document_id, revision, category, status, distribution_type, distribution_id, summary, alert_id, alert_version, created_at
                FROM lalert_publications ORDER BY seq DESC LIMIT $limit
                """;
            cmd.Parameters.AddWithValue("$limit", limit);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                list.Add(new LAlertPublicationView(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
                    r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetInt32(9), DateTimeOffset.Parse(r.GetString(10), System.Globalization.CultureInfo.InvariantCulture), []));
            }
        }

        if (list.Count == 0)
        {
            return list;
        }

        var sends = new Dictionary<long, List<LAlertSendView>>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT publication_seq, node, state, attempts, code, result, last_attempt_at, acknowledged_at FROM lalert_sends
                WHERE publication_seq >= $min ORDER BY publication_seq, node
                """;
            cmd.Parameters.AddWithValue("$min", list[^1].Seq);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                if (!sends.TryGetValue(r.GetInt64(0), out var forSeq))
                {
                    sends[r.GetInt64(0)] = forSeq = [];
                }

                forSeq.Add(new LAlertSendView(r.GetString(1), r.GetString(2), r.GetInt32(3), r.IsDBNull(4) ? null : r.GetInt32(4), r.IsDBNull(5) ? null : r.GetString(5),
                    r.IsDBNull(6) ? null : DateTimeOffset.Parse(r.GetString(6), System.Globalization.CultureInfo.InvariantCulture),
                    r.IsDBNull(7) ? null : DateTimeOffset.Parse(r.GetString(7), System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        return [.. list.Select(p => p with { Sends = sends.GetValueOrDefault(p.Seq) ?? [] })];
    }
}
