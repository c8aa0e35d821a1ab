using AlertHub.Core.Storage;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres;
using AlertHub.Storage.Postgres.Cluster;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace AlertHub.Server.Features.Storage;

internal static class StorageSetup
{
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<StorageOptions>(builder.Configuration.GetSection("Storage"));
        builder.Services.AddSingleton<StoragePaths>();
        builder.Services.AddSingleton<DiskSpaceMonitor>();
        // Secrets the hub reads back (camera passwords) are encrypted with the hub's data-protection keys on every engine.
        builder.Services.AddDataProtection();
        builder.Services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();

        var engine = builder.Configuration["Storage:Engine"] ?? StorageOptions.SqliteEngine;
        if (string.Equals(engine, StorageOptions.PostgresEngine, StringComparison.OrdinalIgnoreCase))
        {
            AddPostgres(builder);
        }
        else if (string.Equals(engine, StorageOptions.SqliteEngine, StringComparison.OrdinalIgnoreCase))
        {
            AddSqlite(builder);
        }
        else
        {
            throw new InvalidOperationException($"Storage:Engine is '{engine}'; use 'sqlite' (the default) or 'postgres'.");
        }

        builder.Services.AddHostedService(sp => sp.GetRequiredService<DiskSpaceMonitor>());
        builder.Services.AddClusterLeases(builder.Configuration);
        builder.AddClusterEvents();
        return builder;
    }

    /// <summary>The embedded engine: one SQLite file under Storage:DataDirectory.</summary>
    private static void AddSqlite(IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Database>();
        builder.Services.AddSingleton<Health.IStartupStep, StoreStartup>();
        builder.Services.AddSingleton<AlertHub.Core.Cluster.IClusterMembership, AlertHub.Core.Cluster.SingleNodeMembership>();
        builder.Services.AddSingleton<AlertHub.Core.Cluster.IClusterLocks, AlertHub.Core.Cluster.InProcessClusterLocks>();

        // The owners of the tables, behind AlertHub.Core.Storage's interfaces (features see only those).
        builder.Services.AddSingleton<IStoreTransactions, SqliteStoreTransactions>();
        // One file, one process: no failover whose passing failures a request should wait out.
        builder.Services.AddSingleton<IStoreFaults, NoStoreFaults>();
        builder.Services.AddSingleton<IShelterStore, SqliteShelterStore>();
        builder.Services.AddSingleton<IApiKeyStore, SqliteApiKeyStore>();
        builder.Services.AddSingleton<IStaffUserStore, SqliteStaffUserStore>();
        builder.Services.AddSingleton<IRuleSetStore, SqliteRuleSetStore>();
        builder.Services.AddSingleton<IOutboxStore, SqliteOutboxStore>();
        builder.Services.AddSingleton<IAlertStore, SqliteAlertStore>();
        builder.Services.AddSingleton<IDraftStore, SqliteDraftStore>();
        builder.Services.AddSingleton<IDeliveryAddresses, SqliteDeliveryAddresses>();
        builder.Services.AddSingleton<IResidentStore, SqliteResidentStore>();
        builder.Services.AddSingleton<ISafetyReplyStore, SqliteSafetyReplyStore>();
        builder.Services.AddSingleton<ILineEventStore, SqliteLineEventStore>();
        builder.Services.AddSingleton<IAreaStore, SqliteAreaStore>();
        builder.Services.AddSingleton<ITownPointStore, SqliteTownPointStore>();
        builder.Services.AddSingleton<IFeedStore, SqliteFeedStore>();
        builder.Services.AddSingleton<IFeedSeenStore, SqliteFeedSeenStore>();
        builder.Services.AddSingleton<IAuditLogStore, SqliteAuditLogStore>();
        builder.Services.AddSingleton<IComposeTemplateStore, SqliteComposeTemplateStore>();
        builder.Services.AddSingleton<ITelephonyAttemptStore, SqliteTelephonyAttemptStore>();
        builder.Services.AddSingleton<ILAlertRecordStore, SqliteLAlertRecordStore>();
        builder.Services.AddSingleton<ICameraStore, SqliteCameraStore>();
        builder.Services.AddSingleton<IDronePhotoStore, SqliteDronePhotoStore>();
        builder.Services.AddSingleton<IAlertImageStore, SqliteAlertImageStore>();
    }

    /// <summary>
    /// The hub's connections: the connection string as given, plus <see cref="StorageOptions.IdleInTransactionTimeout"/> as a
    /// session setting (unless the string's own <c>Options</c> already set one), and the node's
    /// <see cref="AlertHub.Core.Cluster.ClusterNode.SessionName"/> as <c>application_name</c> (in place of the string's own):
    /// the node that declares this one dead ends its sessions by that name.
    /// </summary>
    internal static NpgsqlDataSource PostgresDataSource(string connectionString, StorageOptions options, string? sessionName = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (sessionName is not null)
        {
            builder.ConnectionStringBuilder.ApplicationName = sessionName;
        }

        var given = builder.ConnectionStringBuilder.Options ?? "";
        if (options.IdleInTransactionTimeout > TimeSpan.Zero && !given.Contains("idle_in_transaction_session_timeout", StringComparison.Ordinal))
        {
            builder.ConnectionStringBuilder.Options =
                $"{given} -c idle_in_transaction_session_timeout={(long)options.IdleInTransactionTimeout.TotalMilliseconds}".Trim();
        }

        return builder.Build();
    }

    /// <summary>A PostgreSQL server (ConnectionStrings:AlertHub): the same interfaces, the engine in AlertHub.Storage.Postgres.</summary>
    private static void AddPostgres(IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("AlertHub");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "Storage:Engine is 'postgres' but ConnectionStrings:AlertHub is not set, e.g. \"Host=127.0.0.1;Port=5432;Database=alerthub;Username=alerthub;Password=…\".");
        }

        var options = builder.Configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        builder.Services.AddSingleton(sp => PostgresDataSource(connectionString, options, sp.GetRequiredService<AlertHub.Core.Cluster.ClusterNode>().SessionName));
        builder.Services.AddSingleton<PostgresMigrator>();
        builder.Services.AddSingleton<Health.IStartupStep, PostgresStoreStartup>();
        builder.Services.AddPostgresStores(connectionString);
        builder.Services.AddHostedService<StoreFailoverMonitor>();
        // Nodes on one database share one key ring, or a cookie from one node is refused by the next (docs/cluster.md).
        builder.Services.AddClusterDataProtection();
        builder.Services.AddSingleton(sp => new LegacyKeyRing(
            Path.Combine(sp.GetRequiredService<StoragePaths>().DataDirectory, "data-protection-keys"), sp.GetApplicationUniqueIdentifier()));
        builder.Services.AddPostgresClusterEvents();
    }
}
