using System.Collections.Concurrent;
using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Feeds.Polling;

/// <summary>
/// Entry ids the poller has finished with, kept by <see cref="IFeedSeenStore"/> so a restart does not fetch and hand over
/// everything again, and mirrored in memory so a cycle's lookups cost nothing.
/// </summary>
internal sealed class FeedSeenEntries(IFeedSeenStore store)
{
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    public int Count => _seen.Count;

    public bool Contains(string entryId) => _seen.ContainsKey(entryId);

    /// <summary>Loads the remembered ids.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in await store.ListAsync(cancellationToken))
        {
            _seen.TryAdd(entry.EntryId, 0);
        }
    }

    /// <param name="outcome">accepted, duplicate, rejected:&lt;code&gt;, too_large, refused, no_url, gave_up.</param>
    public async Task MarkAsync(string entryId, string feedUrl, string? dataUrl, string outcome, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await store.MarkAsync(new FeedSeenEntry(entryId, feedUrl, dataUrl, outcome, at), cancellationToken);
        _seen.TryAdd(entryId, 0);
    }

    /// <summary>Forgets ids older than <paramref name="cutoff"/> that no feed lists any more; returns how many.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, IReadOnlySet<string> stillListed, CancellationToken cancellationToken)
    {
        var pruned = await store.PruneAsync(cutoff, stillListed, cancellationToken);
        foreach (var id in pruned)
        {
            _seen.TryRemove(id, out _);
        }

        return pruned.Count;
    }

    /// <summary>Each feed's stored validators, by feed URL.</summary>
    public async Task<IReadOnlyDictionary<string, FeedValidators>> ValidatorsAsync(CancellationToken cancellationToken) =>
        (await store.ListValidatorsAsync(cancellationToken)).ToDictionary(v => v.FeedUrl, StringComparer.Ordinal);

    public Task SaveValidatorsAsync(FeedValidators validators, CancellationToken cancellationToken) => store.SaveValidatorsAsync(validators, cancellationToken);
}
