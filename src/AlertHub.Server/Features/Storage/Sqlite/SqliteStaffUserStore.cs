using System.Text.Json;
using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>staff_users</c> and <c>staff_sessions</c> tables in the embedded SQLite store.</summary>
internal sealed class SqliteStaffUserStore(Database database) : IStaffUserStore
{
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
        cmd.CommandText = $"SELECT {StaffRows.UserColumns}, u.password_hash FROM staff_users u WHERE u.username = $u";
        cmd.Parameters.AddWithValue("$u", username);
        return await cmd.FirstOrDefaultAsync<(StaffUser, string)?>(r => StaffRows.UserWithHash(r), cancellationToken);
    }

    public async Task<IReadOnlyList<StaffUser>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {StaffRows.UserColumns} FROM staff_users u ORDER BY u.username";
        return await cmd.ListAsync(StaffRows.User, cancellationToken);
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

    public async Task<bool> UpdateAsync(StaffUser user, string? newPasswordHash, DateTimeOffset updatedAt, bool endSessions, CancellationToken cancellationToken)
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
            cmd.Parameters.AddWithValue("$at", updatedAt.ToString("O"));
            if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        if (endSessions)
        {
            await using var end = connection.CreateCommand();
            end.Transaction = tx;
            end.CommandText = "DELETE FROM staff_sessions WHERE username = $u";
            end.Parameters.AddWithValue("$u", user.Username);
            await end.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return true;
    }

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
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task StartSessionAsync(byte[] idHash, string username, string csrfToken, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO staff_sessions(id_hash, username, csrf_token, created_at, last_seen_at) VALUES ($id, $u, $c, $at, $at)";
        cmd.Parameters.AddWithValue("$id", idHash);
        cmd.Parameters.AddWithValue("$u", username);
        cmd.Parameters.AddWithValue("$c", csrfToken);
        cmd.Parameters.AddWithValue("$at", at.ToString("O"));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(StaffSession Session, StaffUser User)?> GetSessionAsync(byte[] idHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT {StaffRows.UserColumns}, s.csrf_token, s.created_at, s.last_seen_at
            FROM staff_sessions s JOIN staff_users u ON u.username = s.username WHERE s.id_hash = $id
            """;
        cmd.Parameters.AddWithValue("$id", idHash);
        return await cmd.FirstOrDefaultAsync<(StaffSession, StaffUser)?>(r => StaffRows.Session(r), cancellationToken);
    }

    public async Task TouchSessionAsync(byte[] idHash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE staff_sessions SET last_seen_at = $at WHERE id_hash = $id";
        cmd.Parameters.AddWithValue("$id", idHash);
        cmd.Parameters.AddWithValue("$at", at.ToString("O"));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task EndSessionAsync(byte[] idHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM staff_sessions WHERE id_hash = $id";
        cmd.Parameters.AddWithValue("$id", idHash);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
