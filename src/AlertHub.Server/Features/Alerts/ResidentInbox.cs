using AlertHub.Core.Storage;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Alerts;

/// <summary>One alert in a resident's inbox, rendered in their language as the channels render it (drill and update markers included).</summary>
internal sealed record InboxItem(
    string AlertId, int Version, string State, string MsgType, DateTimeOffset SentAt, string Severity, string Event, string Title, string Body,
    string? Instruction, string Language, bool IsExercise, string? AreaName, DateTimeOffset? Expires, string? ImageUrl = null,
    DateTimeOffset? AcknowledgedAt = null);

/// <summary>
/// The alerts that targeted a resident recently, from the outbox (one row per resident and channel was written
/// when each version was issued), shown at their current version: a push that never arrived still shows here,
/// and so does a later update or cancellation.
/// </summary>
internal sealed class ResidentInbox(IOutboxStore outbox, AlertRecords alerts, ResidentStore residents, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(30);
    private const int MaxItems = 100;
    private static readonly ChannelLimits Unlimited = new(1, 1_000, 20_000, 1);

    public async Task<IReadOnlyList<InboxItem>?> ReadAsync(Guid residentId, CancellationToken cancellationToken)
    {
        var resident = await residents.GetAsync(residentId, cancellationToken);
        if (resident is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var alertIds = await outbox.AlertsForResidentAsync(residentId, (now - Window).ToUnixTimeMilliseconds(), MaxItems, cancellationToken);

        IReadOnlyDictionary<string, DateTimeOffset> acknowledged = alertIds.Count == 0 ? new Dictionary<string, DateTimeOffset>() : await alerts.AcknowledgementsAsync(residentId, cancellationToken);
        var items = new List<InboxItem>(alertIds.Count);
        foreach (var alertId in alertIds)
        {
            if (await alerts.GetHeadAsync(alertId, cancellationToken) is not { } head
                || await alerts.GetVersionAsync(alertId, head.CurrentVersion, cancellationToken) is not { } document)
            {
                continue;
            }

            var message = MessageRenderer.Render(document, resident.Attributes.Language, Unlimited);
            var state = head.State == "issued" && document.Expires < now ? "expired" : head.State;
            items.Add(new InboxItem(alertId, document.Version, state, document.MsgType.ToString(), document.Sent, document.Severity.ToString(), document.Event,
                message.Headline, message.Body, message.Instruction, message.Language, document.Status != AlertStatus.Actual, document.AreaName, document.Expires,
                message.ImageUrl, acknowledged.TryGetValue(alertId, out var at) ? at : null));
        }

        return items.OrderByDescending(i => i.SentAt).ToList();
    }
}

internal static class ResidentInboxApi
{
    public static IHostApplicationBuilder AddResidentInbox(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ResidentInbox>();
        return builder;
    }

    public static IEndpointRouteBuilder MapResidentInboxApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/residents/{id:guid}/inbox", async Task<Results<Ok<IReadOnlyList<InboxItem>>, ProblemHttpResult>> (Guid id, HttpRequest http,
            ResidentStore residents, ResidentInbox inbox, CancellationToken ct) =>
        {
            if (!await residents.VerifyTokenAsync(id, ResidentsApi.ResidentToken(http), ct) || await inbox.ReadAsync(id, ct) is not { } items)
            {
                return Problems.Create(401, Problems.AuthInvalidResidentToken, "The resident token is not valid.",
                    "Send the token returned at registration as 'Authorization: Bearer <token>'.");
            }

            return TypedResults.Ok(items);
        }).WithTags("Residents");
        return app;
    }
}
