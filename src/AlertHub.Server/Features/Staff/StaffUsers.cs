using System.Security.Cryptography;
using System.Text;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Auth;

namespace AlertHub.Server.Features.Staff;

/// <summary>
/// Staff users and their server-side sessions. The session id lives only in the encrypted cookie; the store keeps its
/// SHA-256, so a copy of the database cannot be replayed as a cookie. Deleting a session row ends it at once, whatever
/// the cookie says, and every change that ends a credential tells <see cref="CredentialChanges"/> (open connections close).
/// </summary>
internal sealed class StaffUsers(IStaffUserStore store, CredentialChanges changes, TimeProvider time)
{
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] HashSessionId(string sessionId) => SHA256.HashData(Encoding.UTF8.GetBytes(sessionId));

    public Task<bool> AnyAsync(CancellationToken cancellationToken) => store.AnyAsync(cancellationToken);

    public Task<(StaffUser User, string PasswordHash)?> FindAsync(string username, CancellationToken cancellationToken) =>
        store.FindAsync(username, cancellationToken);

    public Task<IReadOnlyList<StaffUser>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    /// <summary>False when the username is taken.</summary>
    public Task<bool> CreateAsync(StaffUser user, string passwordHash, CancellationToken cancellationToken) =>
        store.CreateAsync(user, passwordHash, cancellationToken);

    /// <summary>
    /// Replaces the user's fields; a new password or disabling ends every session of the user (roles are read on
    /// each request, so a role change needs no sign-out). False when the user does not exist.
    /// </summary>
    public async Task<bool> UpdateAsync(StaffUser user, string? newPasswordHash, CancellationToken cancellationToken)
    {
        if (!await store.UpdateAsync(user, newPasswordHash, time.GetUtcNow(), endSessions: newPasswordHash is not null || user.Disabled, cancellationToken))
        {
            return false;
        }

        await changes.PublishAsync(cancellationToken);
        return true;
    }

    /// <summary>Stores an upgraded hash of a password that just verified (the iteration count was raised).</summary>
    public Task RehashAsync(string username, string passwordHash, CancellationToken cancellationToken) =>
        store.RehashAsync(username, passwordHash, cancellationToken);

    public async Task<bool> DeleteAsync(string username, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(username, cancellationToken);
        await changes.PublishAsync(cancellationToken);
        return deleted;
    }

    /// <summary>Starts a session; returns its id (for the cookie only) and its CSRF token.</summary>
    public async Task<(string SessionId, string CsrfToken)> StartSessionAsync(string username, CancellationToken cancellationToken)
    {
        var sessionId = NewSecret();
        var csrf = NewSecret();
        await store.StartSessionAsync(HashSessionId(sessionId), username, csrf, time.GetUtcNow(), cancellationToken);
        return (sessionId, csrf);
    }

    public Task<(StaffSession Session, StaffUser User)?> GetSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        store.GetSessionAsync(HashSessionId(sessionId), cancellationToken);

    public Task TouchSessionAsync(string sessionId, DateTimeOffset at, CancellationToken cancellationToken) =>
        store.TouchSessionAsync(HashSessionId(sessionId), at, cancellationToken);

    public async Task EndSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await store.EndSessionAsync(HashSessionId(sessionId), cancellationToken);
        await changes.PublishAsync(cancellationToken);
    }
}
