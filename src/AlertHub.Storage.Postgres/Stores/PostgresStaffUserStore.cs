using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>staff_users</c> and <c>staff_sessions</c> tables in PostgreSQL (roles as a text array).</summary>
internal sealed class PostgresStaffUserStore(NpgsqlDataSource dataSource) : IStaffUserStore
{
    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS(SELECT 1 FROM staff_users)");
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<(StaffUser User, string PasswordHash)?> FindAsync(string username, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {StaffRows.UserColumns}, u.password_hash FROM staff_users u WHERE u.username = @u");
        cmd.Parameters.AddWithValue("u", username);
        return await cmd.FirstOrDefaultAsync<(StaffUser, string)?>(r => StaffRows.UserWithHash(r), cancellationToken);
    }

    public async Task<IReadOnlyList<StaffUser>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {StaffRows.UserColumns} FROM staff_users u ORDER BY u.username COLLATE \"C\"");
        return await cmd.ListAsync(StaffRows.User, cancellationToken);
    }

    public async Task<bool> CreateAsync(StaffUser user, string passwordHash, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO staff_users(username, display_name, roles, password_hash, disabled, created_at, updated_at)
            VALUES (@u, @d, @r, @h, @x, @at, @at) ON CONFLICT (username) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("u", user.Username);
        cmd.Parameters.AddWithValue("d", user.DisplayName);
        cmd.Parameters.AddWithValue("r", user.Roles.ToArray());
        cmd.Parameters.AddWithValue("h", passwordHash);
        cmd.Parameters.AddWithValue("x", user.Disabled);
        cmd.Parameters.AddWithValue("at", user.CreatedAt.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> UpdateAsync(StaffUser user, string? newPasswordHash, DateTimeOffset updatedAt, bool endSessions, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand("""
            UPDATE staff_users SET display_name = @d, roles = @r, disabled = @x, updated_at = @at,
                password_hash = COALESCE(@h, password_hash)
            WHERE username = @u
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("u", user.Username);
            cmd.Parameters.AddWithValue("d", user.DisplayName);
            cmd.Parameters.AddWithValue("r", user.Roles.ToArray());
            cmd.Parameters.AddWithValue("x", user.Disabled);
            cmd.Parameters.AddWithValue("h", NpgsqlTypes.NpgsqlDbType.Text, (object?)newPasswordHash ?? DBNull.Value);
            cmd.Parameters.AddWithValue("at", updatedAt.ToUniversalTime());
            if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        if (endSessions)
        {
            await using var end = new NpgsqlCommand("DELETE FROM staff_sessions WHERE username = @u", connection, tx);
            end.Parameters.AddWithValue("u", user.Username);
            await end.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task RehashAsync(string username, string passwordHash, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE staff_users SET password_hash = @h WHERE username = @u");
        cmd.Parameters.AddWithValue("u", username);
        cmd.Parameters.AddWithValue("h", passwordHash);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(string username, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM staff_users WHERE username = @u");
        cmd.Parameters.AddWithValue("u", username);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task StartSessionAsync(byte[] idHash, string username, string csrfToken, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO staff_sessions(id_hash, username, csrf_token, created_at, last_seen_at) VALUES (@id, @u, @c, @at, @at)");
        cmd.Parameters.AddWithValue("id", idHash);
        cmd.Parameters.AddWithValue("u", username);
        cmd.Parameters.AddWithValue("c", csrfToken);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(StaffSession Session, StaffUser User)?> GetSessionAsync(byte[] idHash, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {StaffRows.UserColumns}, s.csrf_token, s.created_at, s.last_seen_at
            FROM staff_sessions s JOIN staff_users u ON u.username = s.username WHERE s.id_hash = @id
            """);
        cmd.Parameters.AddWithValue("id", idHash);
        return await cmd.FirstOrDefaultAsync<(StaffSession, StaffUser)?>(r => StaffRows.Session(r), cancellationToken);
    }

    public async Task TouchSessionAsync(byte[] idHash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE staff_sessions SET last_seen_at = @at WHERE id_hash = @id");
        cmd.Parameters.AddWithValue("id", idHash);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task EndSessionAsync(byte[] idHash, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM staff_sessions WHERE id_hash = @id");
        cmd.Parameters.AddWithValue("id", idHash);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
