namespace AlertHub.Core.Storage;

/// <summary>
/// One Atom entry the JMA poller has finished with. <see cref="Outcome"/> is accepted, duplicate, rejected:&lt;code&gt;,
/// too_large, refused, no_url or gave_up.
/// </summary>
internal sealed record FeedSeenEntry(string EntryId, string FeedUrl, string? DataUrl, string Outcome, DateTimeOffset SeenAt);

/// <summary>
/// The entry ids the feed poller has finished with; the owner of <c>feed_seen_entries</c>. Kept so that a restarted poller
/// neither fetches nor hands over again what it already dealt with. The feeds' ETag and Last-Modified are not stored: a
/// restarted poller fetches each feed in full once, so it learns which ids are still listed before it prunes any.
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
}
