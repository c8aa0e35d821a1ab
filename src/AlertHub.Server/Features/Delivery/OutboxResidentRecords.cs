using AlertHub.Core.Storage;
using AlertHub.Server.Features.Residents;

namespace AlertHub.Server.Features.Delivery;

/// <summary>The outbox's part in forgetting a resident: their receipts and the index of their waiting work.</summary>
internal sealed class OutboxResidentRecords(IOutboxStore outbox) : IResidentRecords
{
    public Task ForgetResidentAsync(IStoreTransaction tx, Guid residentId, CancellationToken cancellationToken) =>
        outbox.ForgetResidentAsync(tx, residentId, cancellationToken);
}
