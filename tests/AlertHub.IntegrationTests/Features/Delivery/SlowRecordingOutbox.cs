using AlertHub.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Delivery;

/// <summary>
/// The hub's real outbox store with a recorder that falls behind: every <see cref="IOutboxStore.RecordAsync"/> first waits
/// <see cref="Delay"/>, as a busy database does under a city-wide fan-out. It counts the Delivered outcomes it has written,
/// so a test can compare what a provider received with what the outbox knows about.
/// </summary>
internal sealed class SlowRecordingOutbox(IOutboxStore inner) : DelegatingOutbox(inner)
{
    private long _recordedDelivered;

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Delivered outcomes written to the store so far (counted once the write has returned).</summary>
    public long RecordedDelivered => Interlocked.Read(ref _recordedDelivered);

    /// <summary>Replaces the hub's <see cref="IOutboxStore"/> with a slow-recording wrapper around the same engine's store.</summary>
    public static void Install(IServiceCollection services, Action<SlowRecordingOutbox> created) =>
        Install(services, inner => new SlowRecordingOutbox(inner), created);

    public override async Task<int> RecordAsync(IReadOnlyList<WorkOutcome> outcomes, string claimant, long nowMs, CancellationToken cancellationToken)
    {
        await Task.Delay(Delay, cancellationToken);
        var written = await Inner.RecordAsync(outcomes, claimant, nowMs, cancellationToken);
        Interlocked.Add(ref _recordedDelivered, outcomes.Count(o => o.State == WorkState.Delivered));
        return written;
    }
}
