namespace AlertHub.Core.Storage;

/// <summary>
/// One Atom entry the JMA poller has finished with. <see cref="Outcome"/> is accepted, duplicate, rejected:&lt;code&gt;,
/// too_large, refused, no_url or gave_up.
/// </summary>
internal sealed record FeedSeenEntry(string EntryId, string FeedUrl, string? DataUrl, string Outcome, DateTimeOffset SeenAt);

/// <summary>
/// A feed's conditional-GET validators as its last complete poll left them (null: ask for the whole document).
/// </summary>
internal sealed record FeedValidators(string FeedUrl, string? ETag, DateTimeOffset? LastModified);

/// <summary>
/// The entry ids the feed poller has finished with, and each feed's ETag and Last-Modified; the owner of
/// <c>feed_seen_entries</c> and <c>feed_poll_state</c>. Kept so that a restarted poller, or the node that takes polling over
/// from a dead one, neither fetches nor hands over again what was already dealt with, and asks "changed since?" where its
/// predecessor left off.
/// </summary>
internal interface IFeedSeenStore
{
    /// <summary>Every remembered entry, in no particular order.</summary>
    Task<IReadOnlyList<FeedSeenEntry>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Remembers an entry. The first mark of an id wins: a later or concurrent mark of the same id changes nothing and
    /// answers false.
    /// </summary>
    Task<bool> MarkAsync(FeedSeenEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets entries seen before <paramref name="cutoff"/> whose id is not in <paramref name="stillListed"/> (an id a feed
    /// still lists must stay, or the next poll would fetch it again); returns the ids forgotten.
    /// </summary>
    Task<IReadOnlyList<string>> PruneAsync(DateTimeOffset cutoff, IReadOnlySet<string> stillListed, CancellationToken cancellationToken);

    /// <summary>Every feed's stored validators.</summary>
    Task<IReadOnlyList<FeedValidators>> ListValidatorsAsync(CancellationToken cancellationToken);

    /// <summary>Replaces a feed's validators (both null: the next poll reads the whole document).</summary>
    Task SaveValidatorsAsync(FeedValidators validators, CancellationToken cancellationToken);
}
