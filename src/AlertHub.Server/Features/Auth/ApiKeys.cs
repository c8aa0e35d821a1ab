using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Auth;

/// <summary>
/// Staff API keys, stored as SHA-256 hashes (keys are 256-bit random, so a fast hash is enough; a slow KDF
/// protects low-entropy passwords, not these). Active keys are cached in memory by hash; <see cref="IApiKeyStore"/> keeps them.
/// </summary>
/// <remarks>
/// With several nodes (<see cref="IClusterEvents.SpansNodes"/>) a key this node has not cached yet is looked up in the store
/// (it may have been created on another node a moment ago), and a revocation on any node removes the key from every
/// node's cache through <see cref="ClusterTopics.ApiKeys"/>, before the revoking call answers. After the notifications
/// were interrupted the cache is rebuilt from the store.
/// </remarks>
internal sealed partial class ApiKeys
{
    private readonly ConcurrentDictionary<string, StaffKey> _byHash = new();
    private readonly IApiKeyStore _store;
    private readonly CredentialChanges _changes;
    private readonly IClusterEvents _cluster;
    private readonly TimeProvider _time;
    private readonly CoalescingRefresh _reload;
    private long _revocations;

    public ApiKeys(IApiKeyStore store, CredentialChanges changes, IClusterEvents cluster, TimeProvider time, ILogger<ApiKeys> logger)
    {
        _store = store;
        _changes = changes;
        _cluster = cluster;
        _time = time;
        _reload = new CoalescingRefresh(ReloadAsync, e => LogReloadFailed(logger, e));
        cluster.Subscribe(ClusterTopics.ApiKeys, OnClusterEvent);
    }

    public static string NewKey() => "ahk_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public StaffKey? Find(string presentedKey) =>
        _byHash.TryGetValue(Convert.ToHexString(Hash(presentedKey)), out var key) ? key : null;

    /// <summary>
    /// The active key, from the cache or — when other nodes can create keys — from the store. A key revoked while it was
    /// being looked up is not cached.
    /// </summary>
    public async Task<StaffKey?> FindAsync(string presentedKey, CancellationToken cancellationToken)
    {
        var hash = Hash(presentedKey);
        var hex = Convert.ToHexString(hash);
        if (_byHash.TryGetValue(hex, out var cached))
        {
            return cached;
        }

        if (!_cluster.SpansNodes)
        {
            return null;
        }

        var revocations = Interlocked.Read(ref _revocations);
        if (await _store.FindActiveAsync(hash, cancellationToken) is not { } key)
        {
            return null;
        }

        if (Interlocked.Read(ref _revocations) != revocations)
        {
            // A revocation arrived meanwhile (perhaps of this key): answer from the store once more, cache nothing.
            return await _store.FindActiveAsync(hash, cancellationToken);
        }

        _byHash[hex] = key;
        return key;
    }

    /// <summary>The active (not revoked) key with this id, or null.</summary>
    public StaffKey? FindActiveById(string id) => _byHash.Values.FirstOrDefault(k => k.Id == id);

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var (key, hash) in await _store.ActiveAsync(cancellationToken))
        {
            _byHash[Convert.ToHexString(hash)] = key;
        }
    }

    public Task<bool> AnyAsync(CancellationToken cancellationToken) => _store.AnyAsync(cancellationToken);

    public async Task<StaffKey> CreateAsync(string name, string role, string plaintextKey, CancellationToken cancellationToken)
    {
        var key = new StaffKey(Guid.NewGuid().ToString("n"), name, role, _time.GetUtcNow(), null);
        var hash = Hash(plaintextKey);
        await _store.InsertAsync(key, hash, cancellationToken);
        _byHash[Convert.ToHexString(hash)] = key;
        return key;
    }

    public Task<IReadOnlyList<StaffKey>> ListAsync(CancellationToken cancellationToken) => _store.ListAsync(cancellationToken);

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var changed = await _store.RevokeAsync(id, _time.GetUtcNow(), cancellationToken);
        Forget(id);
        // Every node drops the key before this answers; then open connections that used it close (CredentialChanges).
        await _cluster.PublishAsync(ClusterTopics.ApiKeys, id, cancellationToken);
        await _changes.PublishAsync(cancellationToken);
        return changed;
    }

    private void Forget(string id)
    {
        Interlocked.Increment(ref _revocations);
        foreach (var entry in _byHash.Where(e => e.Value.Id == id).ToList())
        {
            _byHash.TryRemove(entry.Key, out _);
        }
    }

    private void OnClusterEvent(ClusterEvent e)
    {
        if (e.IsResync)
        {
            _ = _reload.Request();
        }
        else if (!e.FromThisNode)
        {
            Forget(e.Payload);
        }
    }

    /// <summary>The cache as the store has it now: revocations missed while not listening are dropped.</summary>
    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var revocations = Interlocked.Increment(ref _revocations);
            var active = (await _store.ActiveAsync(cancellationToken)).ToDictionary(k => Convert.ToHexString(k.Hash), k => k.Key);
            foreach (var (hex, key) in active)
            {
                _byHash[hex] = key;
            }

            foreach (var hex in _byHash.Keys.Where(h => !active.ContainsKey(h)).ToList())
            {
                _byHash.TryRemove(hex, out _);
            }

            // A revocation heard meanwhile may be missing from what was read and the key put back: apply the store again.
            if (Interlocked.Read(ref _revocations) == revocations)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "API keys: could not reload the keys after cluster notifications were interrupted")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
