using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>api_keys</c> table in PostgreSQL.</summary>
internal sealed class PostgresApiKeyStore(NpgsqlDataSource dataSource) : IApiKeyStore
{
    public async Task<IReadOnlyList<(StaffKey Key, byte[] Hash)>> ActiveAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, name, role, key_hash, created_at FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id COLLATE \"C\"");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<(StaffKey, byte[])>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(4), null),
                reader.GetFieldValue<byte[]>(3)));
        }

        return list;
    }

    public async Task<StaffKey?> FindActiveAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, name, role, created_at FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue("hash", hash);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), null)
            : null;
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS(SELECT 1 FROM api_keys)");
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task InsertAsync(StaffKey key, byte[] hash, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO api_keys(id, name, role, key_hash, created_at) VALUES (@id, @name, @role, @hash, @at)");
        cmd.Parameters.AddWithValue("id", key.Id);
        cmd.Parameters.AddWithValue("name", key.Name);
        cmd.Parameters.AddWithValue("role", key.Role);
        cmd.Parameters.AddWithValue("hash", hash);
        cmd.Parameters.AddWithValue("at", key.CreatedAt.ToUniversalTime());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StaffKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at, id COLLATE \"C\"");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StaffKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return list;
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
