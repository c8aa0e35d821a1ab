using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>
/// A SQLite write transaction: the hub's in-process writer slot, one connection and an immediate transaction on it (so a
/// read inside it can never be upgraded into a busy write later).
/// </summary>
internal sealed class SqliteStoreTransaction : IStoreTransaction
{
    private readonly IDisposable _writerSlot;

    private SqliteStoreTransaction(IDisposable writerSlot, SqliteConnection connection, SqliteTransaction transaction)
    {
        _writerSlot = writerSlot;
        Connection = connection;
        Transaction = transaction;
    }

    public SqliteConnection Connection { get; }

    public SqliteTransaction Transaction { get; }

    public static async Task<SqliteStoreTransaction> BeginAsync(Database database, CancellationToken cancellationToken)
    {
        var slot = await database.WriteLockAsync(WriterKind.Foreground, cancellationToken);
        SqliteConnection? connection = null;
        try
        {
            connection = await database.OpenAsync(cancellationToken);
            var transaction = connection.BeginTransaction(deferred: false);
            return new SqliteStoreTransaction(slot, connection, transaction);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            slot.Dispose();
            throw;
        }
    }

    /// <summary>The SQLite transaction behind <paramref name="transaction"/>; another engine's transaction is a wiring error.</summary>
    public static SqliteStoreTransaction Of(IStoreTransaction transaction) =>
        transaction as SqliteStoreTransaction
        ?? throw new InvalidOperationException($"A SQLite store was handed a {transaction.GetType().Name}; the hub runs one engine at a time.");

    /// <summary>A command on this transaction's connection, enlisted in it.</summary>
    public SqliteCommand Command(string sql)
    {
        var cmd = Connection.CreateCommand();
        cmd.Transaction = Transaction;
        cmd.CommandText = sql;
        return cmd;
    }

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
        finally
        {
            _writerSlot.Dispose();
        }
    }
}

/// <summary>Begins <see cref="SqliteStoreTransaction"/>s.</summary>
internal sealed class SqliteStoreTransactions(Database database) : IStoreTransactions
{
    public async Task<IStoreTransaction> BeginAsync(CancellationToken cancellationToken) =>
        await SqliteStoreTransaction.BeginAsync(database, cancellationToken);
}
