namespace AlertHub.Core.Storage;

/// <summary>One 安否 reply: "safe" or "need-help", to an alert or none, with the resident's position when they shared it.</summary>
internal sealed record SafetyReply(long Id, Guid ResidentId, string? AlertId, string Status, string? Note, double? Lat, double? Lon, DateTimeOffset At);

/// <summary>A reply plus the resident's first registered place, used on the map when the reply carries no location.</summary>
internal sealed record SafetyReplyWithPlace(SafetyReply Reply, double? PlaceLat, double? PlaceLon);

/// <summary>
/// 安否 replies; the owner of <c>safety_replies</c>. Every reply is kept (a resident may go from need-help to safe); the map
/// shows each resident's latest. Replies go with the resident when their registration is deleted.
/// </summary>
internal interface ISafetyReplyStore
{
    /// <summary>Stores the reply (its <see cref="SafetyReply.Id"/> is ignored) and returns its id; later replies have larger ids.</summary>
    Task<long> AddAsync(SafetyReply reply, CancellationToken cancellationToken);

    /// <summary>
    /// Each resident's latest reply (latest among those to <paramref name="alertId"/> when given), newest first, at most
    /// <paramref name="limit"/>, with the resident's first place (null when they registered none).
    /// </summary>
    Task<IReadOnlyList<SafetyReplyWithPlace>> LatestAsync(string? alertId, int limit, CancellationToken cancellationToken);
}
