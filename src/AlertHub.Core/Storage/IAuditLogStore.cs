namespace AlertHub.Core.Storage;

/// <summary>One row of the audit log: who did what to which target, when.</summary>
internal sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string? Target, string? Detail);

/// <summary>A page of the audit log, newest first.</summary>
/// <param name="Limit">At most this many entries.</param>
/// <param name="BeforeId">Only entries with a smaller id (the last id of the page before); null for the newest.</param>
/// <param name="ActionPrefix">Only actions that start with this, compared exactly (no wildcards); null for every action.</param>
/// <param name="Words">Only entries whose actor, target or detail contain this, ignoring the case of ASCII letters only; null for all.</param>
internal sealed record AuditQuery(int Limit, long? BeforeId = null, string? ActionPrefix = null, string? Words = null);

/// <summary>
/// The audit log; the owner of the <c>audit_log</c> table. Append-only: rows are never changed or deleted. Ids grow in the order
/// rows are appended, so a client pages back through the log by id.
/// </summary>
internal interface IAuditLogStore
{
    /// <summary>Appends one entry; inside <paramref name="transaction"/> when one is given, so that it commits with the change it records.</summary>
    Task AppendAsync(DateTimeOffset at, string actor, string action, string? target, string? detail, IStoreTransaction? transaction,
        CancellationToken cancellationToken);

    /// <summary>The entries that match <paramref name="query"/>, ordered by id, highest first.</summary>
    Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// For each of <paramref name="targets"/> that has an entry with exactly <paramref name="action"/>, the detail of its first such
    /// entry (lowest id; null when that entry has none). Targets without one are absent. The alerts board uses it for the reason
    /// given for an emergency bypass (<c>alerts.issue.bypass</c>).
    /// </summary>
    Task<IReadOnlyDictionary<string, string?>> FirstDetailsAsync(string action, IReadOnlyCollection<string> targets, CancellationToken cancellationToken);
}
