using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>
/// One engine's SQL for each filter of the board's list. Parameters are named as <see cref="AlertSearch.Where"/> binds them:
/// q, status, state, from, to and before; <c>now</c> (in <see cref="Expired"/> and <see cref="Active"/>) is bound by the caller.
/// </summary>
internal sealed record AlertFilterSql(string Words, string Status, string State, string Expired, string Active, string From, string To, string Before);

/// <summary>How the board's list is searched and read, the same on every engine.</summary>
internal static class AlertSearch
{
    /// <summary>A LIKE pattern (escape character '\') that finds <paramref name="words"/> anywhere, taken literally.</summary>
    public static string LikePattern(string words) =>
        "%" + words.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";

    /// <summary>
    /// The WHERE clause (empty without filters) of the list for <paramref name="query"/>, in the engine's <paramref name="sql"/>;
    /// <paramref name="bind"/> (name without prefix, value) adds each parameter a filter uses. Instants are bound as they are.
    /// </summary>
    public static string Where(AlertQuery query, AlertFilterSql sql, Action<string, object> bind)
    {
        var where = new List<string>();
        if (!string.IsNullOrWhiteSpace(query.Words))
        {
            where.Add(sql.Words);
            bind("q", LikePattern(query.Words));
        }

        if (query.Status is { } status)
        {
            where.Add(sql.Status);
            bind("status", status);
        }

        switch (query.State)
        {
            case "issued" or "cancelled" or "ended":
                where.Add(sql.State);
                bind("state", query.State);
                break;
            case "expired":
                where.Add(sql.Expired);
                break;
            case "active":
                where.Add(sql.Active);
                break;
        }

        AddTime(sql.From, "from", query.From);
        AddTime(sql.To, "to", query.To);
        AddTime(sql.Before, "before", query.Before);
        return where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "";

        void AddTime(string condition, string name, DateTimeOffset? value)
        {
            if (value is { } at)
            {
                where.Add(condition);
                bind(name, at);
            }
        }
    }

    /// <summary>A row of the list, selected as id, current version, state, created at, issued at, expires at, recipients,
    /// document, then <see cref="AlertPeople"/>'s seven columns.</summary>
    public static AlertRow Row(DbDataReader r) =>
        new(r.GetString(0), r.GetInt32(1), r.GetString(2), r.Instant(3), r.Instant(4), r.InstantOrNull(5), r.GetInt32(6), r.GetString(7), AlertPeople.Read(r, 8));

    /// <summary>A version, selected as version, msg type, issued at, expires at, recipients, queued in full at.</summary>
    public static AlertVersionRow Version(DbDataReader r) =>
        new(r.GetInt32(0), r.GetString(1), r.Instant(2), r.InstantOrNull(3), r.GetInt32(4), r.Int64OrNull(5));
}
