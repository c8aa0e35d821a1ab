using AlertHub.Server.Features.Auth;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertHub.Server.Features.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Staff;

internal sealed record StaffUser(string Username, string DisplayName, IReadOnlyList<string> Roles, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record StaffSession(string Username, string CsrfToken, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt);

/// <summary>
/// Staff users (password hashes only) and their server-side sessions. The session id lives only in the
/// encrypted cookie; the store keeps its SHA-256, so a copy of the database cannot be replayed as a cookie.
/// Deleting a session row ends it at once, whatever the cookie says.
/// </summary>
internal sealed class StaffUserStore(Database database, CredentialChanges changes, TimeProvider time)
{
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] HashSessionId(string sessionId) => SHA256.HashData(Encoding.UTF8.GetBytes(sessionId));

    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM staff_users)";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task<(StaffUser User, string PasswordHash)?> FindAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT username, display_name, roles, disabled, created_at, updated_at, password_hash FROM staff_users WHERE username = $u";
        cmd.Parameters.AddWithValue("$u", username);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (ReadUser(reader), reader.GetString(6)) : null;
    }

    public async Task<IReadOnlyList<StaffUser>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT username, display_name, roles, disabled, created_at, updated_at FROM staff_users ORDER BY username";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StaffUser>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadUser(reader));
        }

        return list;
    }

    /// <summary>False when the username is taken.</summary>
    public async Task<bool> CreateAsync(StaffUser user, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO staff_users(username, display_name, roles, password_hash, disabled, created_at, updated_at)
            VALUES ($u, $d, $r, $h, $x, $at, $at) ON CONFLICT(username) DO NOTHING
            """;
        cmd.Parameters.AddWithValue("$u", user.Username);
        cmd.Parameters.AddWithValue("$d", user.DisplayName);
        cmd.Parameters.AddWithValue("$r", JsonSerializer.Serialize(user.Roles));
        cmd.Parameters.AddWithValue("$h", passwordHash);
        cmd.Parameters.AddWithValue("$x", user.Disabled ? 1 : 0);
        cmd.Parameters.AddWithValue("$at", user.CreatedAt.ToString("O"));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Replaces the user's fields; a new password or disabling ends every session of the user (roles are read on
    /// each request, so a role change needs no sign-out). False when the user does not exist.
    /// </summary>
    public async Task<bool> UpdateAsync(StaffUser user, string? newPasswordHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                UPDATE staff_users SET display_name = $d, roles = $r, disabled = $x, updated_at = $at,
                    password_hash = COALESCE($h, password_hash)
                WHERE username = $u
                """;
            cmd.Parameters.AddWithValue("$u", user.Username);
            cmd.Parameters.AddWithValue("$d", user.DisplayName);
            cmd.Parameters.AddWithValue("$r", JsonSerializer.Serialize(user.Roles));
            cmd.Parameters.AddWithValue("$x", user.Disabled ? 1 : 0);
            cmd.Parameters.AddWithValue("$h", (object?)newPasswordHash ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O"));
            if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        if (newPasswordHash is not null || user.Disabled)
        {
            await using var end = connection.CreateCommand();
            end.Transaction = tx;
            end.CommandText = "DELETE FROM staff_sessions WHERE username = $u";
            end.Parameters.AddWithValue("$u", user.Username);
            await end.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        await changes.PublishAsync(cancellationToken);
        return true;
    }

    /// <summary>Stores an upgraded hash of a password that just verified (the iteration count was raised).</summary>
    public async Task RehashAsync(string username, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE staff_users SET password_hash = $h WHERE username = $u";
        cmd.Parameters.AddWithValue("$u", username);
        cmd.Parameters.AddWithValue("$h", passwordHash);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM staff_users WHERE username = $u";
        cmd.Parameters.AddWithValue("$u", username);
        var deleted = await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
        await changes.PublishAsync(cancellationToken);
        return deleted;
    }

    /// <summary>Starts a session; returns its id (for the cookie only) and its CSRF token.</summary>
    public async Task<(string SessionId, string CsrfToken)> StartSessionAsync(string username, CancellationToken cancellationToken)
    {
        var sessionId = NewSecret();
        var csrf = NewSecret();
        var now = time.GetUtcNow().ToString("O");
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO staff_sessions(id_hash, username, csrf_token, created_at, last_seen_at) VALUES ($id, $u, $c, $at, $at)";
        cmd.Parameters.AddWithValue("$id", HashSessionId(sessionId));
        cmd.Parameters.AddWithValue("$u", username);
        cmd.Parameters.AddWithValue("$c", csrf);
        cmd.Parameters.AddWithValue("$at", now);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        return (sessionId, csrf);
    }

    public async Task<(StaffSession Session, StaffUser User)?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT u.username, u.display_name, u.roles, u.disabled, u.created_at, u.updated_at, s.csrf_token, s.created_at, s.last_seen_at
            FROM staff_sessions s JOIN staff_users u ON u.username = s.username WHERE s.id_hash = $id
            """;
        cmd.Parameters.AddWithValue("$id", HashSessionId(sessionId));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var user = ReadUser(reader);
        return (new StaffSession(user.Username, reader.GetString(6), DateTimeOffset.Parse(reader.GetString(7)), DateTimeOffset.Parse(reader.GetString(8))), user);
    }

    public async Task TouchSessionAsync(string sessionId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE staff_sessions SET last_seen_at = $at WHERE id_hash = $id";
        cmd.Parameters.AddWithValue("$id", HashSessionId(sessionId));
        cmd.Parameters.AddWithValue("$at", at.ToString("O"));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task EndSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM staff_sessions WHERE id_hash = $id";
        cmd.Parameters.AddWithValue("$id", HashSessionId(sessionId));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        await changes.PublishAsync(cancellationToken);
    }

    private static StaffUser ReadUser(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), JsonSerializer.Deserialize<string[]>(reader.GetString(2)) ?? [], reader.GetInt64(3) == 1,
        DateTimeOffset.Parse(reader.GetString(4)), DateTimeOffset.Parse(reader.GetString(5)));
}
