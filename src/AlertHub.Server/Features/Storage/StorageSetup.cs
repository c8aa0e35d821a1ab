using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using Microsoft.AspNetCore.DataProtection;

namespace AlertHub.Server.Features.Storage;

internal static class StorageSetup
{
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<StorageOptions>(builder.Configuration.GetSection("Storage"));
        builder.Services.AddSingleton<StoragePaths>();
        builder.Services.AddSingleton<Database>();
        builder.Services.AddSingleton<Health.IStartupStep, StoreStartup>();
        builder.Services.AddSingleton<DiskSpaceMonitor>();
        // Secrets the hub reads back (camera passwords) are encrypted with the hub's data-protection keys on every engine.
        builder.Services.AddDataProtection();
        builder.Services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();

        // The owners of the tables, behind AlertHub.Core.Storage's interfaces (features see only those).
        builder.Services.AddSingleton<IStoreTransactions, SqliteStoreTransactions>();
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
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DiskSpaceMonitor>());
        return builder;
    }
}
