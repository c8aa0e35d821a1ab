using AlertHub.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.IntegrationTests.Features.Delivery;

/// <summary>
/// The hub's real outbox store, passed through method by method: a test derives from it to change one step (a slow
/// write, a claim whose answer is lost) and keeps every other step real.
/// </summary>
internal class DelegatingOutbox(IOutboxStore inner) : IOutboxStore
{
    protected IOutboxStore Inner => inner;

    /// <summary>Replaces the hub's <see cref="IOutboxStore"/> with a wrapper around the same engine's store.</summary>
    public static void Install<T>(IServiceCollection services, Func<IOutboxStore, T> wrap, Action<T> created)
        where T : DelegatingOutbox
    {
        var original = services.Last(d => d.ServiceType == typeof(IOutboxStore));
        services.RemoveAll<IOutboxStore>();
        services.AddSingleton<IOutboxStore>(sp =>
        {
            var wrapper = wrap((IOutboxStore)ActivatorUtilities.CreateInstance(sp, original.ImplementationType!));
            created(wrapper);
            return wrapper;
        });
    }

    public virtual Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken) =>
        inner.RecordAsync(outcomes, claimant, nowMs, cancellationToken);

    public virtual Task<int> RecordAgainAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken) =>
        inner.RecordAgainAsync(outcomes, claimant, nowMs, cancellationToken);

    public virtual Task<(int Recipients, Dictionary<string, int> ByChannel)> EnqueueAsync(IStoreTransaction transaction, OutboxEnqueue q, CancellationToken cancellationToken) =>
        inner.EnqueueAsync(transaction, q, cancellationToken);

    public virtual Task<HashSet<(string Channel, Guid Member)>> QueuedMembersAsync(string alertId, int version, CancellationToken cancellationToken) =>
        inner.QueuedMembersAsync(alertId, version, cancellationToken);

    public virtual Task<int> IndexPendingMembersAsync(int maxItems, long queuedBeforeMs, CancellationToken cancellationToken) =>
        inner.IndexPendingMembersAsync(maxItems, queuedBeforeMs, cancellationToken);

    public virtual Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, string claimant, long leaseUntilMs, CancellationToken cancellationToken) =>
        inner.ClaimDueAsync(channel, limit, nowMs, claimant, leaseUntilMs, cancellationToken);

    public virtual Task<(IReadOnlySet<long> Stale, IReadOnlySet<long> NeverReached)> CheckBeforeSendAsync(IReadOnlyCollection<long> ids,
        IReadOnlyCollection<long> followUps, CancellationToken cancellationToken) =>
        inner.CheckBeforeSendAsync(ids, followUps, cancellationToken);

    public virtual Task<int> ReleaseExpiredClaimsAsync(long nowMs, string? exceptClaimant, CancellationToken cancellationToken) =>
        inner.ReleaseExpiredClaimsAsync(nowMs, exceptClaimant, cancellationToken);

    public virtual Task<int> ReleaseClaimsOfAsync(IReadOnlyCollection<string> claimants, long nowMs, CancellationToken cancellationToken) =>
        inner.ReleaseClaimsOfAsync(claimants, nowMs, cancellationToken);

    public virtual Task<int> ReleaseOwnClaimsAsync(string claimant, string channel, long nowMs, CancellationToken cancellationToken) =>
        inner.ReleaseOwnClaimsAsync(claimant, channel, nowMs, cancellationToken);

    public virtual Task<IReadOnlyDictionary<string, int>> ClaimsByClaimantAsync(CancellationToken cancellationToken) => inner.ClaimsByClaimantAsync(cancellationToken);

    public virtual Task<int> ReleaseAsync(Guid residentId, string channel, long nowMs, CancellationToken cancellationToken) =>
        inner.ReleaseAsync(residentId, channel, nowMs, cancellationToken);

    public virtual Task<int> StopForAcknowledgementAsync(string alertId, Guid residentId, long nowMs, CancellationToken cancellationToken) =>
        inner.StopForAcknowledgementAsync(alertId, residentId, nowMs, cancellationToken);

    public virtual Task<IReadOnlyList<(int Version, string Channel, VersionDelivery Delivery)>> VersionCountsAsync(string alertId, CancellationToken cancellationToken) =>
        inner.VersionCountsAsync(alertId, cancellationToken);

    public virtual Task<IReadOnlyDictionary<(int Version, string Channel), long>> OfflineCountsAsync(string alertId, CancellationToken cancellationToken) =>
        inner.OfflineCountsAsync(alertId, cancellationToken);

    public virtual Task<IReadOnlyDictionary<string, HashSet<Guid>>> ReachedAsync(string alertId, CancellationToken cancellationToken) =>
        inner.ReachedAsync(alertId, cancellationToken);

    public virtual Task<IReadOnlyList<Guid>> EarlierResidentsAsync(string alertId, CancellationToken cancellationToken) => inner.EarlierResidentsAsync(alertId, cancellationToken);

    public virtual Task<(List<long> Latencies, long? First, long? Last)> LatenciesAsync(string alertId, string channel, CancellationToken cancellationToken) =>
        inner.LatenciesAsync(alertId, channel, cancellationToken);

    public virtual Task<IReadOnlyList<string>> AlertsForResidentAsync(Guid residentId, long sinceMs, int limit, CancellationToken cancellationToken) =>
        inner.AlertsForResidentAsync(residentId, sinceMs, limit, cancellationToken);

    public virtual Task ForgetResidentAsync(IStoreTransaction transaction, Guid residentId, CancellationToken cancellationToken) =>
        inner.ForgetResidentAsync(transaction, residentId, cancellationToken);

    public virtual Task<IReadOnlyDictionary<string, ChannelWindowStats>> StatsSinceAsync(long sinceMs, CancellationToken cancellationToken) =>
        inner.StatsSinceAsync(sinceMs, cancellationToken);
}
