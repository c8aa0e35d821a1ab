namespace AlertHub.Core.Storage;

/// <summary>A staff API key as the hub shows it (never the key itself; only its SHA-256 hash is stored).</summary>
internal sealed record StaffKey(string Id, string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Staff API keys; the owner of the <c>api_keys</c> table.</summary>
internal interface IApiKeyStore
{
    /// <summary>The keys not revoked, with their hashes (the hub keeps them in memory to check requests).</summary>
    Task<IReadOnlyList<(StaffKey Key, byte[] Hash)>> ActiveAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The key with this hash if it is not revoked, else null: a node sharing the store with others looks up a key it has
    /// not seen yet (created on another node) here.
    /// </summary>
    Task<StaffKey?> FindActiveAsync(byte[] hash, CancellationToken cancellationToken);

    /// <summary>Whether any key was ever created (a first start makes the bootstrap admin key).</summary>
    Task<bool> AnyAsync(CancellationToken cancellationToken);

    Task InsertAsync(StaffKey key, byte[] hash, CancellationToken cancellationToken);

    /// <summary>Every key, revoked ones too, oldest first.</summary>
    Task<IReadOnlyList<StaffKey>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Marks the key revoked at <paramref name="at"/>; false when it is unknown or already revoked.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);
}
