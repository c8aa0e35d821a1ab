using AlertHub.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.IntegrationTests.Features.Delivery;

/// <summary>
/// The hub's real outbox store with a recorder that falls behind: every <see cref="IOutboxStore.RecordAsync"/> first waits
/// <see cref="Delay"/>, as a busy database does under a city-wide fan-out. It counts the Delivered outcomes it has written,
/// so a test can compare what a provider received with what the outbox knows about.
/// </summary>
internal sealed class SlowRecordingOutbox(IOutboxStore inner) : IOutboxStore
{
    private long _recordedDelivered;

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Delivered outcomes written to the store so far (counted once the write has returned).</summary>
    public long RecordedDelivered => Interlocked.Read(ref _recordedDelivered);

    /// <summary>Replaces the hub's <see cref="IOutboxStore"/> with a slow-recording wrapper around the same engine's store.</summary>
    public static void Install(IServiceCollection services, Action<SlowRecordingOutbox> created)
    {
        var original = services.Last(d => d.ServiceType == typeof(IOutboxStore));
        services.RemoveAll<IOutboxStore>();
        services.AddSingleton<IOutboxStore>(sp =>
        {
            var inner = (IOutboxStore)ActivatorUtilities.CreateInstance(sp, original.ImplementationType!);
            var slow = new SlowRecordingOutbox(inner);
            created(slow);
            return slow;
        });
    }

    public async Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken)
    {
        await Task.Delay(Delay, cancellationToken);
        var written = await inner.RecordAsync(outcomes, claimant, nowMs, cancellationToken);
        Interlocked.Add(ref _recordedDelivered, outcomes.Count(o => o.State == WorkState.Delivered));
        return written;
    }

    public Task<(int Recipients, Dictionary<string, int> ByChannel)> EnqueueAsync(IStoreTransaction transaction, OutboxEnqueue q, CancellationToken cancellationToken) =>
        inner.EnqueueAsync(transaction, q, cancellationToken);

    public Task<HashSet<(string Channel, Guid Member)>> QueuedMembersAsync(string alertId, int version, CancellationToken cancellationToken) =>
        inner.QueuedMembersAsync(alertId, version, cancellationToken);

    public Task<int> IndexPendingMembersAsync(int maxItems, long queuedBeforeMs, CancellationToken cancellationToken) =>
        inner.IndexPendingMembersAsync(maxItems, queuedBeforeMs, cancellationToken);

    public Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, string claimant, long leaseUntilMs, CancellationToken cancellationToken) =>
        inner.ClaimDueAsync(channel, limit, nowMs, claimant, leaseUntilMs, cancellationToken);

    public Task<(IReadOnlySet<long> Stale, IReadOnlySet<long> NeverReached)> CheckBeforeSendAsync(IReadOnlyCollection<long> ids,
        IReadOnlyCollection<long> followUps, CancellationToken cancellationToken) =>
        inner.CheckBeforeSendAsync(ids, followUps, cancellationToken);

    public Task<int> ReleaseExpiredClaimsAsync(long nowMs, string? exceptClaimant, CancellationToken cancellationToken) =>
        inner.ReleaseExpiredClaimsAsync(nowMs, exceptClaimant, cancellationToken);

    public Task<int> ReleaseClaimsOfAsync(IReadOnlyCollection<string> claimants, long nowMs, CancellationToken cancellationToken) =>
        inner.ReleaseClaimsOfAsync(claimants, nowMs, cancellationToken);

    public Task<IReadOnlyDictionary<string, int>> ClaimsByClaimantAsync(CancellationToken cancellationToken) => inner.ClaimsByClaimantAsync(cancellationToken);

    public Task<int> ReleaseAsync(Guid residentId, string channel, long nowMs, CancellationToken cancellationToken) =>
        inner.ReleaseAsync(residentId, channel, nowMs, cancellationToken);

    public Task<int> StopForAcknowledgementAsync(string alertId, Guid residentId, long nowMs, CancellationToken cancellationToken) =>
        inner.StopForAcknowledgementAsync(alertId, residentId, nowMs, cancellationToken);

    public Task<IReadOnlyList<(int Version, string Channel, VersionDelivery Delivery)>> VersionCountsAsync(string alertId, CancellationToken cancellationToken) =>
        inner.VersionCountsAsync(alertId, cancellationToken);

    public Task<IReadOnlyDictionary<(int Version, string Channel), long>> OfflineCountsAsync(string alertId, CancellationToken cancellationToken) =>
        inner.OfflineCountsAsync(alertId, cancellationToken);

    public Task<IReadOnlyDictionary<string, HashSet<Guid>>> ReachedAsync(string alertId, CancellationToken cancellationToken) =>
        inner.ReachedAsync(alertId, cancellationToken);

    public Task<IReadOnlyList<Guid>> EarlierResidentsAsync(string alertId, CancellationToken cancellationToken) => inner.EarlierResidentsAsync(alertId, cancellationToken);

    public Task<(List<long> Latencies, long? First, long? Last)> LatenciesAsync(string alertId, string channel, CancellationToken cancellationToken) =>
        inner.LatenciesAsync(alertId, channel, cancellationToken);

    public Task<IReadOnlyList<string>> AlertsForResidentAsync(Guid residentId, long sinceMs, int limit, CancellationToken cancellationToken) =>
        inner.AlertsForResidentAsync(residentId, sinceMs, limit, cancellationToken);

    public Task ForgetResidentAsync(IStoreTransaction transaction, Guid residentId, CancellationToken cancellationToken) =>
        inner.ForgetResidentAsync(transaction, residentId, cancellationToken);

    public Task<IReadOnlyDictionary<string, ChannelWindowStats>> StatsSinceAsync(long sinceMs, CancellationToken cancellationToken) =>
        inner.StatsSinceAsync(sinceMs, cancellationToken);
}
