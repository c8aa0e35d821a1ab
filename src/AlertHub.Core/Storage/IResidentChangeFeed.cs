namespace AlertHub.Core.Storage;

/// <summary>
/// Resident changes in commit order, for the targeting index every node keeps in memory: each change to a resident (its
/// registration, attributes, places, endpoints, live location, deletion) takes the next number of one sequence, and a
/// node applies what came after the last number it applied. Only stores shared by several nodes (PostgreSQL) have one;
/// on a single node every change goes straight into the index.
/// </summary>
internal interface IResidentChangeFeed
{
    /// <summary>The number of the last change committed so far (0 when none). Read it before loading the index in full.</summary>
    Task<long> LatestAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> changes numbered after <paramref name="after"/>, in order; each resident once, with its
    /// live location as it is now. Every change numbered up to the last one returned is included (numbers follow commit order).
    /// </summary>
    Task<IReadOnlyList<ResidentChangeEntry>> ReadAfterAsync(long after, int limit, CancellationToken cancellationToken);

    /// <summary>Forgets the record of deletions made before <paramref name="before"/> (nodes have long applied them).</summary>
    Task<int> ForgetDeletionsAsync(DateTimeOffset before, CancellationToken cancellationToken);
}

/// <param name="Sequence">The change's number.</param>
/// <param name="Deleted">The resident is gone (the right to be forgotten): drop them from the index.</param>
/// <param name="Location">Their live location, if one is set (not checked for expiry: the index does that).</param>
internal sealed record ResidentChangeEntry(long Sequence, Guid ResidentId, bool Deleted, ResidentLocation? Location);
