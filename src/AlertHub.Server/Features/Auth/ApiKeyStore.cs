using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AlertHub.Server.Features.Storage;

namespace AlertHub.Server.Features.Auth;

internal sealed record StaffKey(string Id, string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>
/// Staff API keys, stored as SHA-256 hashes (keys are 256-bit random, so a fast hash is enough; a slow KDF
/// protects low-entropy passwords, not these). Active keys are cached in memory by hash.
/// </summary>
internal sealed class ApiKeyStore(Database database, CredentialChanges changes, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, StaffKey> _byHash = new();

    public static string NewKey() => "ahk_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public StaffKey? Find(string presentedKey) =>
        _byHash.TryGetValue(Convert.ToHexString(Hash(presentedKey)), out var key) ? key : null;

    /// <summary>The active (not revoked) key with this id, or null.</summary>
    public StaffKey? FindActiveById(string id) => _byHash.Values.FirstOrDefault(k => k.Id == id);

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, role, key_hash, created_at FROM api_keys WHERE revoked_at IS NULL";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(4)), null);
            _byHash[Convert.ToHexString((byte[])reader.GetValue(3))] = key;
        }
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM api_keys)";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task<StaffKey> CreateAsync(string name, string role, string plaintextKey, CancellationToken cancellationToken)
    {
        var key = new StaffKey(Guid.NewGuid().ToString("n"), name, role, time.GetUtcNow(), null);
        var hash = Hash(plaintextKey);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO api_keys(id, name, role, key_hash, created_at) VALUES ($id, $name, $role, $hash, $at)";
        cmd.Parameters.AddWithValue("$id", key.Id);
        cmd.Parameters.AddWithValue("$name", name);
        cmd.Parameters.AddWithValue("$role", role);
        cmd.Parameters.AddWithValue("$hash", hash);
        cmd.Parameters.AddWithValue("$at", key.CreatedAt.ToString("O"));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        _byHash[Convert.ToHexString(hash)] = key;
        return key;
    }

    public async Task<IReadOnlyList<StaffKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StaffKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StaffKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3)),
                reader.IsDBNull(4) ? null : DateTimeOffset.Parse(reader.GetString(4))));
        }

        return list;
    }

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE api_keys SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O"));
        var changed = await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
        foreach (var entry in _byHash.Where(e => e.Value.Id == id).ToList())
        {
            _byHash.TryRemove(entry.Key, out _);
        }

        await changes.PublishAsync(cancellationToken);
        return changed;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
