using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The <c>audit_log</c> rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class AuditRows
{
    /// <summary>An entry selected as <c>id, at, actor, action, target, detail</c>.</summary>
    /// <summary>Per target, the detail of its first row, from rows selected as <c>target, detail</c> with each target's first row first.</summary>
    public static async Task<Dictionary<string, string?>> FirstDetailsAsync(DbCommand cmd, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (target, detail) in await cmd.ListAsync(r => (r.GetString(0), r.TextOrNull(1)), cancellationToken))
        {
            found.TryAdd(target, detail);
        }

        return found;
    }

    public static AuditEntry Entry(DbDataReader r) => new(r.GetInt64(0), r.Instant(1), r.GetString(2), r.GetString(3), r.TextOrNull(4), r.TextOrNull(5));
}
