using System.Net;
using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Shelters;

public sealed class ShelterImportTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new();

    public Task InitializeAsync() => _hub.WaitReadyAsync();

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Import_KeepsTheGoodFeatures_AndReportsEachBadOneByIndex()
    {
        using var admin = _hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/shelters/import", new
        {
            type = "FeatureCollection",
            features = new object[]
            {
                new { type = "Feature", geometry = new { type = "Point", coordinates = new[] { 140.55, 39.31 } }, properties = new { id = "a", name = "公民館", capacity = 80 } },
                new { type = "Feature", geometry = new { type = "LineString", coordinates = new[] { new[] { 140.5, 39.3 }, new[] { 140.6, 39.4 } } }, properties = new { id = "b", name = "x" } },
                new { type = "Feature", geometry = new { type = "Point", coordinates = new[] { 140.55, 39.31 } }, properties = new { id = "c" } },
                new { type = "Feature", geometry = new { type = "Point", coordinates = new[] { 140.55, 39.31 } }, properties = new { id = "d", name = "y", status = "maybe" } },
            },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.JsonAsync();
        Assert.Equal(1, result["added"]!.GetValue<int>());
        Assert.Equal([1, 2, 3], result["rejected"]!.AsArray().Select(r => r!["index"]!.GetValue<int>()));

        using var anonymous = _hub.CreateClient();
        var only = Assert.Single((await (await anonymous.GetAsync("/api/shelters")).JsonAsync()).AsArray())!;
        Assert.Equal(("公民館", "closed", 80), (only["name"]!.GetValue<string>(), only["status"]!.GetValue<string>(), only["capacity"]!.GetValue<int>()));

        using var issuer = await _hub.SignInAsStaffAsync("issuer");
        await (await issuer.Client.PostAsJsonAsync("/api/shelters/import", new { type = "FeatureCollection", features = Array.Empty<object>() }))
            .AssertProblemAsync(403, "auth.forbidden");
    }

    [SharedDataFact]
    public async Task Import_GsiDesignatedShelters_OfYokote_LoadsAll_AndAReimportKeepsLiveStatus()
    {
        var path = SharedData.Path("geo", "shelters", "yokote_052035_designated_shelters_gsi.geojson")!;
        using var admin = _hub.Admin();
        var body = new StringContent(await File.ReadAllTextAsync(path), System.Text.Encoding.UTF8, "application/json");
        var first = await (await admin.PostAsync("/api/shelters/import", body)).JsonAsync();
        Assert.Equal(96, first["added"]!.GetValue<int>());
        Assert.Empty(first["rejected"]!.AsArray());

        using var anonymous = _hub.CreateClient();
        var shelters = (await (await anonymous.GetAsync("/api/shelters")).JsonAsync()).AsArray();
        var minami = Assert.Single(shelters, s => s!["id"]!.GetValue<string>() == "E0520300004111")!;
        Assert.Equal("横手市立横手南小学校", minami["name"]!.GetValue<string>());
        Assert.Equal((39.315847, 140.570981), (minami["location"]!["lat"]!.GetValue<double>(), minami["location"]!["lon"]!.GetValue<double>()));

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/shelters/E0520300004111", new { status = "open", occupancy = 40 })).StatusCode);
        var again = await (await admin.PostAsync("/api/shelters/import",
            new StringContent(await File.ReadAllTextAsync(path), System.Text.Encoding.UTF8, "application/json"))).JsonAsync();
        Assert.Equal((0, 96), (again["added"]!.GetValue<int>(), again["updated"]!.GetValue<int>()));
        var kept = await (await anonymous.GetAsync("/api/shelters/E0520300004111")).JsonAsync();
        Assert.Equal(("open", 40), (kept["status"]!.GetValue<string>(), kept["occupancy"]!.GetValue<int>()));
    }
}
