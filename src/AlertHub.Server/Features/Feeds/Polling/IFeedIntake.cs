using AlertHub.Core.Feeds;

namespace AlertHub.Server.Features.Feeds.Polling;

/// <summary>
/// Where pollers hand each fetched document: the intake parses, dedupes by series and stores it. A returned
/// result (accepted, duplicate or rejected) is final for that document; a thrown exception means "try again
/// later", so the poller fetches it again next cycle.
/// </summary>
internal interface IFeedIntake
{
    /// <param name="origin">Where the bytes came from (the telegram URL), for provenance and logs.</param>
    Task<FeedIntakeResult> AcceptAsync(FeedSource source, ReadOnlyMemory<byte> document, string origin, CancellationToken ct);
}

/// <summary>What the intake did with one document.</summary>
/// <param name="Duplicate">Already known (same bytes or an older revision of its series).</param>
/// <param name="EventId">The hub event it became or updated, when accepted.</param>
/// <param name="RejectionCode">A <see cref="FeedRejectedException.Code"/> when the document was refused.</param>
internal sealed record FeedIntakeResult(bool Accepted, bool Duplicate, string? EventId, string? RejectionCode);
