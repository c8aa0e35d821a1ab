using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres;

/// <summary>A PostgreSQL transaction (read committed) on a connection of its own from the pool.</summary>
internal sealed class PostgresStoreTransaction : IStoreTransaction
{
    private PostgresStoreTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        Connection = connection;
        Transaction = transaction;
    }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    public static async Task<PostgresStoreTransaction> BeginAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return new PostgresStoreTransaction(connection, await connection.BeginTransactionAsync(cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The PostgreSQL transaction behind <paramref name="transaction"/>; another engine's transaction is a wiring error.</summary>
    public static PostgresStoreTransaction Of(IStoreTransaction transaction) =>
        transaction as PostgresStoreTransaction
        ?? throw new InvalidOperationException($"A PostgreSQL store was handed a {transaction.GetType().Name}; the hub runs one engine at a time.");

    /// <summary>A command on this transaction's connection, enlisted in it.</summary>
    public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

/// <summary>Begins <see cref="PostgresStoreTransaction"/>s.</summary>
internal sealed class PostgresStoreTransactions(NpgsqlDataSource dataSource) : IStoreTransactions
{
    public async Task<IStoreTransaction> BeginAsync(CancellationToken cancellationToken) =>
        await PostgresStoreTransaction.BeginAsync(dataSource, cancellationToken);
}
