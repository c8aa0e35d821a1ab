using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The staff tables' rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class StaffRows
{
    /// <summary>The columns <see cref="User"/> expects, in order (the users' table as <c>u</c>).</summary>
    public const string UserColumns = "u.username, u.display_name, u.roles, u.disabled, u.created_at, u.updated_at";

    public static StaffUser User(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.TextArray(2), r.Flag(3), r.Instant(4), r.Instant(5));

    /// <summary>A user selected as <see cref="UserColumns"/> followed by the password hash.</summary>
    public static (StaffUser User, string PasswordHash) UserWithHash(DbDataReader r) => (User(r), r.GetString(6));

    /// <summary>A session with its user, selected as <see cref="UserColumns"/> followed by the session's csrf token, created and last-seen.</summary>
    public static (StaffSession Session, StaffUser User) Session(DbDataReader r)
    {
        var user = User(r);
        return (new StaffSession(user.Username, r.GetString(6), r.Instant(7), r.Instant(8)), user);
    }
}
