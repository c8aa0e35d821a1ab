using AlertHub.Server.Features.Health;

namespace AlertHub.Server.Features.Storage;

/// <summary>The first startup step: apply pending schema migrations.</summary>
internal sealed partial class StoreStartup(Database database, ILogger<StoreStartup> logger) : IStartupStep
{
    public int Order => 0;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await database.MigrateAsync(cancellationToken);
        if (!database.HoldRunningMarker())
        {
            // Not fatal: the marker only lets migrate-store see a running hub; a second hub on one file is the operator's call.
            LogMarkerHeld(logger, database.RunningMarkerPath);
        }

        LogOpened(logger, database.FilePath);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Another process holds {Path}: is a second hub running on this data directory?")]
    private static partial void LogMarkerHeld(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "AlertHub store opened at {Path}")]
    private static partial void LogOpened(ILogger logger, string path);
}

/// <summary>
/// The first startup step on PostgreSQL: apply pending schema migrations (one node at a time, under an advisory lock), then load
/// the shared data-protection key ring (one node at a time too, so only one of several nodes starting together makes the first key).
/// </summary>
internal sealed partial class PostgresStoreStartup(AlertHub.Storage.Postgres.PostgresMigrator migrator, Npgsql.NpgsqlDataSource dataSource,
    Microsoft.AspNetCore.DataProtection.IDataProtectionProvider dataProtection, ILogger<PostgresStoreStartup> logger) : IStartupStep
{
    /// <summary>The advisory-lock key of the key-ring warm-up ("AH-keys" in ASCII).</summary>
    private const long KeyRingLockKey = 0x4148_2D6B_6579_73;

    public int Order => 0;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var applied = await migrator.MigrateAsync(cancellationToken);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var lockCommand = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({KeyRingLockKey})", connection);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            try
            {
                Cluster.ClusterDataProtection.WarmUp(dataProtection);
            }
            finally
            {
                await using var unlock = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_unlock({KeyRingLockKey})", connection);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }

        var target = new Npgsql.NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        LogOpened(logger, target.Host ?? "?", target.Port, target.Database ?? "?", applied);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "AlertHub store opened on PostgreSQL {Host}:{Port}/{Database} ({Applied} schema steps applied)")]
    private static partial void LogOpened(ILogger logger, string host, int port, string database, int applied);
}
