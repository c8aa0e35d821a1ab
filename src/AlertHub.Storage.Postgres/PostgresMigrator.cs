using Microsoft.Extensions.Logging;
using Npgsql;

namespace AlertHub.Storage.Postgres;

/// <summary>
/// Brings the database to the newest schema. Every hub node runs this at start; a session advisory lock lets one node apply
/// the steps while the others wait and then find nothing left to do. Each step commits with its version row, so a node
/// that dies half way leaves the database at a whole step.
/// </summary>
internal sealed partial class PostgresMigrator(NpgsqlDataSource dataSource, ILogger<PostgresMigrator> logger)
{
    /// <summary>The advisory-lock key of schema changes: "AlertHub" in ASCII, so it is recognisable in pg_locks.</summary>
    public const long AdvisoryLockKey = 0x416C_6572_7448_7562;

    /// <summary>Applies the missing steps of <paramref name="steps"/> (default: <see cref="PostgresMigrations.All"/>); returns how many.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken, IReadOnlyList<(int Version, string Sql)>? steps = null)
    {
        steps ??= PostgresMigrations.All;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);
            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var count = 0;
            foreach (var (version, sql) in steps.OrderBy(s => s.Version))
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, tx, sql, cancellationToken);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations(version) VALUES (@v)", connection, tx))
                {
                    record.Parameters.AddWithValue("v", version);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                LogApplied(version);
                count++;
            }

            return count;
        }
        finally
        {
            // A broken connection releases the lock by itself; a healthy one goes back to the pool, so release it here.
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL schema step {Version} applied")]
    private partial void LogApplied(int version);
}
