using AlertHub.Core.Storage;
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
    public static IServiceCollection AddPostgresStores(this IServiceCollection services)
    {
        services.AddSingleton<IStoreTransactions, PostgresStoreTransactions>();
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
        services.AddSingleton<AlertHub.Core.Cluster.IClusterMembership, Cluster.PostgresClusterMembership>();
        services.AddSingleton<AlertHub.Core.Cluster.IClusterLocks, Cluster.PostgresClusterLocks>();
        return services;
    }
}
