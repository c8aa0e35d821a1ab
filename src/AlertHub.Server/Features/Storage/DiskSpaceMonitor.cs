using AlertHub.Server.Features.Health;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Storage;

/// <summary>
/// Watches free space on the volume holding the database. A full disk would make SQLite refuse the next
/// issued alert, so when space runs low the hub says so on /health and the bulky optional writers (camera
/// history, drone photos) stop before the alert path is hurt. Recovers by itself once space is back.
/// </summary>
internal sealed partial class DiskSpaceMonitor(
    StoragePaths paths,
    HealthState health,
    IOptions<StorageOptions> options,
    TimeProvider time,
    ILogger<DiskSpaceMonitor> logger) : BackgroundService
{
    public const string HealthComponent = "disk";

    private volatile bool _low;

    /// <summary>True while free space is under <see cref="StorageOptions.MinFreeDiskMegabytes"/>.</summary>
    public bool IsLow => _low;

    /// <summary>Free bytes at the last check (null before the first, or where the volume cannot be read).</summary>
    public long? FreeBytes { get; private set; }

    /// <summary>Reads free space now and updates <see cref="IsLow"/> and /health.</summary>
    public void Check()
    {
        var minimumMb = options.Value.MinFreeDiskMegabytes;
        long free;
        try
        {
            free = new DriveInfo(Path.GetFullPath(paths.DataDirectory)).AvailableFreeSpace;
        }
        catch (Exception e)
        {
            // Not knowing is no reason to refuse work, nor to stop the hub.
            FreeBytes = null;
            LogUnreadable(logger, paths.DataDirectory, e.Message);
            return;
        }

        FreeBytes = free;
        var freeMb = free / (1024 * 1024);
        var low = minimumMb > 0 && freeMb < minimumMb;
        if (low)
        {
            health.SetDegraded(HealthComponent, $"{freeMb} MB free on the data volume, under the {minimumMb} MB minimum: camera history paused, drone photo uploads refused");
        }
        else
        {
            health.ClearDegraded(HealthComponent);
        }

        if (low != _low)
        {
            _low = low;
            if (low)
            {
                LogLow(logger, freeMb, minimumMb, paths.DataDirectory);
            }
            else
            {
                LogRecovered(logger, freeMb);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.DiskCheckInterval, time);
        do
        {
            Check();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Only {FreeMb} MB free on the data volume ({Directory}), under the {MinimumMb} MB minimum: camera history paused and drone photo uploads refused so alerts can still be stored")]
    private static partial void LogLow(ILogger logger, long freeMb, long minimumMb, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Free space on the data volume ({Directory}) cannot be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Free space on the data volume is back to {FreeMb} MB: camera history and drone photo uploads resume")]
    private static partial void LogRecovered(ILogger logger, long freeMb);
}
