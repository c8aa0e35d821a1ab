namespace AlertHub.Core.Storage;

/// <summary>
/// One transaction of the hub's store, whichever engine runs it. Features that must change the tables of several owners at
/// once (issuing an alert writes the version and its outbox; forgetting a resident removes their receipts too) begin one
/// with <see cref="IStoreTransactions"/> and hand it to each owner's method; nothing is visible until
/// <see cref="CommitAsync"/>, and disposing without committing rolls everything back.
/// </summary>
/// <remarks>Each engine's stores accept only their own engine's transactions.</remarks>
internal interface IStoreTransaction : IAsyncDisposable
{
    Task CommitAsync(CancellationToken cancellationToken);
}

/// <summary>Begins <see cref="IStoreTransaction"/>s on the engine the hub runs on.</summary>
internal interface IStoreTransactions
{
    /// <summary>
    /// A write transaction. On SQLite it holds the hub's single writer slot until it is disposed, so keep it short and never
    /// wait for the network inside it.
    /// </summary>
    Task<IStoreTransaction> BeginAsync(CancellationToken cancellationToken);
}
