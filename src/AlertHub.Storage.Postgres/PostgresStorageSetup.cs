using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using AlertHub.Storage.Postgres.Cluster;
using AlertHub.Storage.Postgres.Stores;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.Storage.Postgres;

/// <summary>The PostgreSQL owners of the hub's tables, one per aggregate, behind AlertHub.Core.Storage's interfaces.</summary>
internal static class PostgresStorageSetup
{
    /// <summary>
    /// Registers every PostgreSQL store; the caller registers the <see cref="Npgsql.NpgsqlDataSource"/> they share and the
    /// <see cref="ISecretProtector"/> (the hub's, whatever the engine).
    /// </summary>
    /// <param name="connectionString">The store's connection string (<c>ConnectionStrings:AlertHub</c>), for membership's own
    /// small pool (a data source's <c>ConnectionString</c> no longer holds the password).</param>
    public static IServiceCollection AddPostgresStores(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton<IStoreTransactions, PostgresStoreTransactions>();
        services.AddSingleton<IStoreFaults, PostgresStoreFaults>();
        services.AddSingleton<IStoreProbe, PostgresStoreProbe>();
        services.AddSingleton<IShelterStore, PostgresShelterStore>();
        services.AddSingleton<IApiKeyStore, PostgresApiKeyStore>();
        services.AddSingleton<IStaffUserStore, PostgresStaffUserStore>();
        services.AddSingleton<IRuleSetStore, PostgresRuleSetStore>();
        services.AddSingleton<IOutboxStore, PostgresOutboxStore>();
        services.AddSingleton<IAlertStore, PostgresAlertStore>();
        services.AddSingleton<IDraftStore, PostgresDraftStore>();
        services.AddSingleton<IDeliveryAddresses, PostgresDeliveryAddresses>();
        services.AddSingleton<IResidentStore, PostgresResidentStore>();
        services.AddSingleton<ISafetyReplyStore, PostgresSafetyReplyStore>();
        services.AddSingleton<ILineEventStore, PostgresLineEventStore>();
        services.AddSingleton<IAreaStore, PostgresAreaStore>();
        services.AddSingleton<ITownPointStore, PostgresTownPointStore>();
        services.AddSingleton<IFeedStore, PostgresFeedStore>();
        services.AddSingleton<IFeedSeenStore, PostgresFeedSeenStore>();
        services.AddSingleton<IAuditLogStore, PostgresAuditLogStore>();
        services.AddSingleton<IComposeTemplateStore, PostgresComposeTemplateStore>();
        services.AddSingleton<ITelephonyAttemptStore, PostgresTelephonyAttemptStore>();
        services.AddSingleton<ILAlertRecordStore, PostgresLAlertRecordStore>();
        services.AddSingleton<ICameraStore, PostgresCameraStore>();
        services.AddSingleton<IDronePhotoStore, PostgresDronePhotoStore>();
        services.AddSingleton<IAlertImageStore, PostgresAlertImageStore>();
        services.AddSingleton<IClusterLeases, PostgresClusterLeases>();
        services.AddSingleton<IDataProtectionKeyStore, PostgresDataProtectionKeyStore>();
        // Heartbeats on connections of their own: a busy node's delivery work must never make its heartbeat wait for a pooled
        // connection long enough for the others to declare it dead (and re-send what it is sending).
        services.AddSingleton(_ => new Cluster.PostgresClusterMembership(Cluster.PostgresClusterMembership.OwnDataSource(connectionString)));
        services.AddSingleton<AlertHub.Core.Cluster.IClusterMembership>(sp => sp.GetRequiredService<Cluster.PostgresClusterMembership>());
        services.AddSingleton<AlertHub.Core.Cluster.IClusterLocks, Cluster.PostgresClusterLocks>();
        return services;
    }
}
