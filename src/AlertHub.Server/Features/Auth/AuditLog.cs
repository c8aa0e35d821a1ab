using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Auth;

/// <summary>Who did what, when: every state-changing staff call writes one row (<see cref="IAuditLogStore"/>), stamped with the hub's clock.</summary>
internal sealed class AuditLog(IAuditLogStore store, TimeProvider time)
{
    /// <param name="transaction">The transaction of the change being audited, so that both commit or neither does.</param>
    public Task WriteAsync(string actor, string action, string? target, string? detail, CancellationToken cancellationToken,
        IStoreTransaction? transaction = null) =>
        store.AppendAsync(time.GetUtcNow(), actor, action, target, detail, transaction, cancellationToken);

    /// <param name="actionPrefix">Only actions starting with this (alerts., staff.signin); blank for all.</param>
    /// <param name="words">Only entries whose actor, target or detail contain this; blank for all.</param>
    public Task<IReadOnlyList<AuditEntry>> ListAsync(int limit, long? beforeId, CancellationToken cancellationToken, string? actionPrefix = null,
        string? words = null) =>
        store.SearchAsync(new AuditQuery(limit, beforeId, string.IsNullOrWhiteSpace(actionPrefix) ? null : actionPrefix.Trim(),
            string.IsNullOrWhiteSpace(words) ? null : words.Trim()), cancellationToken);
}
