using System.Net;
using AlertHub.IntegrationTests.Features.DronePhotos;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlertHub.IntegrationTests.Features.Storage;

public sealed class DiskSpaceTests : IAsyncLifetime
{
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        // No real volume is this big, so the hub starts "low on disk" whatever machine runs the test.
        _hub = new HubFactory(settings: new() { ["Storage:MinFreeDiskMegabytes"] = "1000000000000" });
        await _hub.WaitReadyAsync();
    }

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task LowDisk_HealthDegradedDronePhotosRefused_AlertsStillIssued()
    {
        using var admin = _hub.Admin();

        var health = await (await _hub.CreateClient().GetAsync("/health")).JsonAsync();
        Assert.Equal("ready", health["status"]!.GetValue<string>());
        Assert.Contains("MB free on the data volume", health["degraded"]!["disk"]!.GetValue<string>(), StringComparison.Ordinal);

        var upload = await UploadAsync(admin);
        await upload.AssertProblemAsync(507, "storage.disk_low");

        // What the free space is kept for.
        var zone = await Api.AddAreaAsync(admin, "低容量テスト地区", Api.Square(39.30, 140.55, 0.02));
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { areaIds = new[] { zone } }));
        Assert.Equal(1, issued["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task SpaceFreedAgain_NextCheckClearsHealthAndAcceptsDronePhotos()
    {
        using var admin = _hub.Admin();
        var monitor = _hub.Services.GetRequiredService<DiskSpaceMonitor>();
        Assert.True(monitor.IsLow);

        FreeSpaceAgain(_hub);

        Assert.False(monitor.IsLow);
        Assert.True(monitor.FreeBytes > 1024 * 1024);
        var health = await (await _hub.CreateClient().GetAsync("/health")).JsonAsync();
        Assert.Null(health["degraded"]?["disk"]);
        Assert.Equal(HttpStatusCode.Created, (await UploadAsync(admin)).StatusCode);
    }

    /// <summary>As if space were freed: the threshold drops under what the volume has, and the monitor looks again.</summary>
    internal static void FreeSpaceAgain(HubFactory hub)
    {
        hub.Services.GetRequiredService<IOptions<StorageOptions>>().Value.MinFreeDiskMegabytes = 1;
        hub.Services.GetRequiredService<DiskSpaceMonitor>().Check();
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client)
    {
        using var form = DronePhotosTests.Form(TestPhotos.Jpeg(320, 240), "DJI_0002.JPG", "image/jpeg", chunked: false);
        return await client.PostAsync("/api/drone-photos", form);
    }
}
