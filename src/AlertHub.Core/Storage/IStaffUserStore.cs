namespace AlertHub.Core.Storage;

internal sealed record StaffUser(string Username, string DisplayName, IReadOnlyList<string> Roles, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record StaffSession(string Username, string CsrfToken, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt);

/// <summary>
/// Staff users (password hashes only) and their server-side sessions; the owner of <c>staff_users</c> and
/// <c>staff_sessions</c>. Sessions are found by the SHA-256 of their id (the id itself lives only in the cookie), and a
/// user's sessions go with the user.
/// </summary>
internal interface IStaffUserStore
{
    Task<bool> AnyAsync(CancellationToken cancellationToken);

    Task<(StaffUser User, string PasswordHash)?> FindAsync(string username, CancellationToken cancellationToken);

    /// <summary>Every user, by username.</summary>
    Task<IReadOnlyList<StaffUser>> ListAsync(CancellationToken cancellationToken);

    /// <summary>False when the username is taken.</summary>
    Task<bool> CreateAsync(StaffUser user, string passwordHash, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the user's name, roles and disabled flag (and the password hash when given) with <paramref name="updatedAt"/>;
    /// with <paramref name="endSessions"/> the user's sessions end in the same transaction. False when the user does not exist.
    /// </summary>
    Task<bool> UpdateAsync(StaffUser user, string? newPasswordHash, DateTimeOffset updatedAt, bool endSessions, CancellationToken cancellationToken);

    Task RehashAsync(string username, string passwordHash, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string username, CancellationToken cancellationToken);

    Task StartSessionAsync(byte[] idHash, string username, string csrfToken, DateTimeOffset at, CancellationToken cancellationToken);

    Task<(StaffSession Session, StaffUser User)?> GetSessionAsync(byte[] idHash, CancellationToken cancellationToken);

    Task TouchSessionAsync(byte[] idHash, DateTimeOffset at, CancellationToken cancellationToken);

    Task EndSessionAsync(byte[] idHash, CancellationToken cancellationToken);
}
