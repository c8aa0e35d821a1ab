using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Auth;

/// <summary>
/// Staff API keys, stored as SHA-256 hashes (keys are 256-bit random, so a fast hash is enough; a slow KDF
/// protects low-entropy passwords, not these). Active keys are cached in memory by hash; <see cref="IApiKeyStore"/> keeps them.
/// </summary>
internal sealed class ApiKeys(IApiKeyStore store, CredentialChanges changes, TimeProvider time)
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
        foreach (var (key, hash) in await store.ActiveAsync(cancellationToken))
        {
            _byHash[Convert.ToHexString(hash)] = key;
        }
    }

    public Task<bool> AnyAsync(CancellationToken cancellationToken) => store.AnyAsync(cancellationToken);

    public async Task<StaffKey> CreateAsync(string name, string role, string plaintextKey, CancellationToken cancellationToken)
    {
        var key = new StaffKey(Guid.NewGuid().ToString("n"), name, role, time.GetUtcNow(), null);
        var hash = Hash(plaintextKey);
        await store.InsertAsync(key, hash, cancellationToken);
        _byHash[Convert.ToHexString(hash)] = key;
        return key;
    }

    public Task<IReadOnlyList<StaffKey>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var changed = await store.RevokeAsync(id, time.GetUtcNow(), cancellationToken);
        foreach (var entry in _byHash.Where(e => e.Value.Id == id).ToList())
        {
            _byHash.TryRemove(entry.Key, out _);
        }

        await changes.PublishAsync(cancellationToken);
        return changed;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
