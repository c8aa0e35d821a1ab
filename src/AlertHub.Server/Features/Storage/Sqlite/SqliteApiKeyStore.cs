using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>api_keys</c> table in the embedded SQLite store.</summary>
internal sealed class SqliteApiKeyStore(Database database) : IApiKeyStore
{
    public async Task<IReadOnlyList<(StaffKey Key, byte[] Hash)>> ActiveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, role, key_hash, created_at FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<(StaffKey, byte[])>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(4)), null),
                (byte[])reader.GetValue(3)));
        }

        return list;
    }

    public async Task<StaffKey?> FindActiveAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, role, created_at FROM api_keys WHERE key_hash = $hash AND revoked_at IS NULL";
        cmd.Parameters.AddWithValue("$hash", hash);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3)), null)
            : null;
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM api_keys)";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task InsertAsync(StaffKey key, byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO api_keys(id, name, role, key_hash, created_at) VALUES ($id, $name, $role, $hash, $at)";
        cmd.Parameters.AddWithValue("$id", key.Id);
        cmd.Parameters.AddWithValue("$name", key.Name);
        cmd.Parameters.AddWithValue("$role", key.Role);
        cmd.Parameters.AddWithValue("$hash", hash);
        cmd.Parameters.AddWithValue("$at", key.CreatedAt.ToString("O"));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StaffKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at, id";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StaffKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3)),
                reader.IsDBNull(4) ? null : DateTimeOffset.Parse(reader.GetString(4))));
        }

        return list;
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE api_keys SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$at", at.ToString("O"));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
