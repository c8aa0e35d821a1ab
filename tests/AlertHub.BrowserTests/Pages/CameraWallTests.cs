using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

[Collection(BrowserCollection.Name)]
public sealed class CameraWallTests(BrowserHub hub, ITestOutputHelper output)
{
    [ToolFact("chromium+ffmpeg")]
    public async Task CameraWall_RealFfmpegStream_ShowsFreshSnapshotAndPlaysLiveVideo()
    {
        await using var source = await HlsTestCamera.StartAsync();
        using var admin = hub.Admin();
        var name = $"横手川 テストカメラ {Guid.NewGuid():N}"[..16];
        var created = await admin.PostAsJsonAsync("/api/cameras", new
        {
            name, kind = "hls", url = source.PlaylistUrl, location = new { lat = 39.312, lon = 140.56 }, river = "横手川", district = "横手",
            directionDegrees = 120, fieldOfViewDegrees = 60, snapshotIntervalSeconds = 1, liveEnabled = true,
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await WaitForCameraAsync(admin, id, TimeSpan.FromSeconds(30));

        var viewer = await hub.CreateStaffUserAsync("viewer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, viewer);
        var problems = ResidentPageTests.CollectProblems(page);
        await page.ClickAsync("#nav-cameras");
        var tile = page.Locator($"li.camera-tile[data-camera-id='{id}']");
        await Assertions.Expect(tile).ToHaveAttributeAsync("data-status", "online");
        await Assertions.Expect(tile).ToContainTextAsync("最終画像 0 分前");
        await Assertions.Expect(tile.Locator(".badge")).ToHaveTextAsync("正常");
        await Assertions.Expect(page.Locator("section.camera-group", new() { HasText = "横手川" })).ToContainTextAsync(name);
        // The snapshot is a real decoded picture of ffmpeg's test pattern (320×180).
        await page.WaitForFunctionAsync($"() => {{ const i = document.querySelector(\"li[data-camera-id='{id}'] img\"); return i && i.complete && i.naturalWidth === 320; }}");
        await BrowserHub.ScreenshotAsync(page, "staff-camera-wall", output);

        await tile.Locator("button").ClickAsync();
        var video = page.Locator("#live-video");
        await Assertions.Expect(video).ToBeVisibleAsync();
        // hls.js plays the hub's /live proxy of the stream: frames decode and time advances.
        await page.WaitForFunctionAsync("() => { const v = document.getElementById('live-video'); return v && v.readyState >= 2 && v.currentTime > 0.5 && v.videoWidth === 320; }",
            null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => !!window.alertHubLivePlayer"), "Chromium has MSE, so hls.js (not native HLS) plays");
        await Assertions.Expect(page.Locator("#history-time")).Not.ToBeEmptyAsync();
        await BrowserHub.ScreenshotAsync(page, "staff-camera-live", output);
        // A figure for the record, not an assertion: how far behind the live edge hls.js plays (the camera's 1 s
        // segments come on top of it).
        await page.WaitForTimeoutAsync(4000);
        // Native HLS (no hls.js instance, no seekable range; iOS) would use the newest buffered media as the live edge.
        var latency = await page.EvaluateAsync<string>("""
            () => {
              const v = document.getElementById('live-video');
              const player = window.alertHubLivePlayer;
              if (player && Number.isFinite(player.latency)) return `${player.latency.toFixed(2)} (hls.js)`;
              if (v.buffered.length) return `${(v.buffered.end(v.buffered.length - 1) - v.currentTime).toFixed(2)} (native, to the newest buffered frame)`;
              return 'unknown';
            }
            """);
        output.WriteLine($"live playback behind the live edge: {latency} s");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#camera-viewer")).Not.ToBeVisibleAsync();
        Assert.Empty(problems);
    }

    private static async Task WaitForCameraAsync(HttpClient admin, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? camera = null;
        while (DateTime.UtcNow < deadline)
        {
            var all = JsonNode.Parse(await admin.GetStringAsync("/api/cameras"))!["cameras"]!.AsArray();
            camera = all.FirstOrDefault(c => c!["id"]!.GetValue<string>() == id);
            if (camera?["status"]?.GetValue<string>() == "online" && camera["lastImageAt"] is not null)
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"camera never came online with an image: {camera?.ToJsonString()}");
    }
}
