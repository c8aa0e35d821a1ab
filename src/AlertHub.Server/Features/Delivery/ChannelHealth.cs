namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// Optional for a channel: a health signal beyond its circuit breaker, for problems no retry fixes (a revoked
/// provider credential, a sender mismatch). <c>GET /api/channels</c> and the KPI report a channel unhealthy
/// while <see cref="Problem"/> is set.
/// </summary>
internal interface IChannelHealth
{
    /// <summary>Why the channel cannot deliver right now, or null when it can.</summary>
    string? Problem { get; }
}
