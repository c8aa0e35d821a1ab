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
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DiskSpaceMonitor>());
        return builder;
    }
}
