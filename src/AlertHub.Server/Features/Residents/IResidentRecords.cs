using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Residents;

/// <summary>
/// Rows another feature keeps about a resident (the outbox's receipts and waiting work). When a resident asks to be
/// forgotten, <see cref="ResidentStore.DeleteAsync"/> has each holder delete theirs inside the same transaction, so no
/// trace survives a deletion that committed — without Residents knowing who holds what.
/// </summary>
internal interface IResidentRecords
{
    Task ForgetResidentAsync(IStoreTransaction tx, Guid residentId, CancellationToken cancellationToken);
}
