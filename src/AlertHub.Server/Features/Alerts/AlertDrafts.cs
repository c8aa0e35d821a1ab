using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Alerts;

/// <summary>Alerts waiting for approval: nothing is written to the outbox until an approver issues them.</summary>
internal sealed class AlertDrafts(IDraftStore store, TimeProvider time)
{
    /// <param name="updatesAlertId">For an update waiting for approval: the alert it updates.</param>
    public async Task<AlertDraft> CreateAsync(AlertRequest request, string? sourceEventId, string? rule, string createdBy, CancellationToken cancellationToken,
        string? updatesAlertId = null)
    {
        var draft = new AlertDraft(Guid.NewGuid().ToString("N"), request, sourceEventId, rule, "pending", time.GetUtcNow(), createdBy, null, null, null, null)
        {
            UpdatesAlertId = updatesAlertId,
        };
        await store.InsertAsync(new StoredDraft(draft.Id, JsonSerializer.Serialize(request, Json.Options), sourceEventId, rule, draft.State, draft.CreatedAt,
            createdBy, null, null, null, null, updatesAlertId), cancellationToken);
        return draft;
    }

    public async Task<IReadOnlyList<AlertDraft>> ListAsync(string? state, CancellationToken cancellationToken) =>
        [.. (await store.ListAsync(state, cancellationToken)).Select(FromStored)];

    public async Task<AlertDraft?> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } stored ? FromStored(stored) : null;

    /// <summary>Moves a pending draft to approved/rejected; false if it was not pending (someone decided first).</summary>
    public Task<bool> DecideAsync(string id, string state, string decidedBy, string? reason, string? alertId, CancellationToken cancellationToken) =>
        store.DecideAsync(id, state, time.GetUtcNow(), decidedBy, reason, alertId, cancellationToken);

    private static AlertDraft FromStored(StoredDraft d) =>
        new(d.Id, JsonSerializer.Deserialize<AlertRequest>(d.Request, Json.Options)!, d.SourceEventId, d.Rule, d.State, d.CreatedAt, d.CreatedBy, d.DecidedAt,
            d.DecidedBy, d.Reason, d.AlertId)
        {
            UpdatesAlertId = d.UpdatesAlertId,
        };
}
