using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Pages;

[Collection(BrowserCollection.Name)]
public sealed class StaffMapLiveTests(BrowserHub hub, ITestOutputHelper output)
{
    private const string DroneFill = "#facc15";
    private const string OpenShelterFill = "#047857";

    [ToolFact("chromium")]
    public async Task Map_ShowsAlertsInForce_AppearingOnIssueAndGoneOnCancelWithoutReload()
    {
        const string AlertStroke = "#dc2626";
        var areaId = await hub.AddAreaAsync($"発令地区{Guid.NewGuid():N}"[..10], "district", 39.05, 140.25, 0.005);
        var viewer = await hub.CreateStaffUserAsync("viewer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, viewer);
        await page.Locator("#overview-map").WaitForAsync();
        var alertPaths = page.Locator($"#overview-map path[stroke='{AlertStroke}']");
        var before = await alertPaths.CountAsync();

        var issued = await Staff.IssueExerciseAsync(hub, areaId, "地図に出る警報");
        await Assertions.Expect(alertPaths).ToHaveCountAsync(before + 1);

        using var admin = hub.Admin();
        var cancel = await admin.PostAsync($"/api/alerts/{issued["id"]!.GetValue<string>()}/cancel", null);
        Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());
        await Assertions.Expect(alertPaths).ToHaveCountAsync(before);
    }

    [ToolFact("chromium+ffmpeg+exiftool")]
    public async Task Map_ShowsShelters_AndADronePhotoArrivesLiveWithoutReload()
    {
        using var admin = hub.Admin();
        var shelter = await admin.PostAsJsonAsync("/api/shelters", new
        {
            name = $"地図テスト避難所{Guid.NewGuid():N}"[..12], location = new { lat = 39.3125, lon = 140.5560 }, status = "open", capacity = 50, occupancy = 3,
        });
        Assert.True(shelter.IsSuccessStatusCode, await shelter.Content.ReadAsStringAsync());

        var viewer = await hub.CreateStaffUserAsync("viewer");
        await using var context = await hub.NewContextAsync();
        var page = await Staff.SignInAsync(context, viewer);
        var problems = ResidentPageTests.CollectProblems(page);
        await Assertions.Expect(page.Locator($"#overview-map path[fill='{OpenShelterFill}']")).Not.ToHaveCountAsync(0);
        var dronesBefore = await page.Locator($"#overview-map path[fill='{DroneFill}']").CountAsync();
        await page.EvaluateAsync("window.__sameDocument = true");

        // A drone photo with GPS in its EXIF, uploaded by a machine with the ingest role, while the map is open.
        var photo = await MakeGeotaggedJpegAsync(39.3105, 140.5520);
        try
        {
            var ingestKey = await CreateKeyAsync(admin, "ingest");
            using var ingest = hub.Anonymous();
            ingest.DefaultRequestHeaders.Add("X-Api-Key", ingestKey);
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(await File.ReadAllBytesAsync(photo));
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "photo", "DJI_0001.JPG");
            form.Add(new StringContent("堤防の様子"), "note");
            var uploaded = await ingest.PostAsync("/api/drone-photos", form);
            Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        }
        finally
        {
            File.Delete(photo);
        }

        await Assertions.Expect(page.Locator($"#overview-map path[fill='{DroneFill}']")).ToHaveCountAsync(dronesBefore + 1);
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the map reloaded instead of updating live");
        await BrowserHub.ScreenshotAsync(page, "staff-map-live", output);
        Assert.Empty(problems);
    }

    private static async Task<string> CreateKeyAsync(HttpClient admin, string role)
    {
        var response = await admin.PostAsJsonAsync("/api/keys", new { name = $"{role}-{Guid.NewGuid():N}", role });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
    }

    /// <summary>A JPEG from ffmpeg's test pattern, GPS written into its EXIF by exiftool.</summary>
    private static async Task<string> MakeGeotaggedJpegAsync(double lat, double lon)
    {
        var path = Path.Combine(Path.GetTempPath(), $"alerthub-drone-{Guid.NewGuid():N}.jpg");
        await RunAsync("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=640x360", "-frames:v", "1", "-y", path]);
        await RunAsync("exiftool", ["-overwrite_original", "-q", $"-GPSLatitude={lat.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "-GPSLatitudeRef=N",
            $"-GPSLongitude={lon.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "-GPSLongitudeRef=E", "-DateTimeOriginal=2026:11:22 10:00:00", path]);
        return path;
    }

    private static async Task RunAsync(string program, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"{program} failed: {await stderr}");
    }
}
