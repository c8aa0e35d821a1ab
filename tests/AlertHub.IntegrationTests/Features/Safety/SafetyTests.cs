using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features.Safety;

public sealed class SafetyTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new();

    public Task InitializeAsync() => _hub.WaitReadyAsync();

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    private HttpClient ResidentClient(Registered resident)
    {
        var client = _hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", resident.Token);
        return client;
    }

    [Fact]
    public async Task SafetyReply_WithABadToken_Returns401_AndIsNotKept()
    {
        using var anonymous = _hub.CreateClient();
        var resident = await Api.RegisterAsync(anonymous, 39.31, 140.55);
        var other = await Api.RegisterAsync(anonymous, 39.32, 140.56);
        using var wrong = ResidentClient(other);
        await (await wrong.PostAsJsonAsync($"/api/residents/{resident.Id}/safety", new { status = "need-help" }))
            .AssertProblemAsync(401, "auth.invalid_resident_token");
        await (await anonymous.PostAsJsonAsync($"/api/residents/{resident.Id}/safety", new { status = "need-help" }))
            .AssertProblemAsync(401, "auth.invalid_resident_token");

        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        Assert.Empty((await (await viewer.Client.GetAsync("/api/safety")).JsonAsync())["features"]!.AsArray());
        await (await anonymous.GetAsync("/api/safety")).AssertProblemAsync(401, "auth.missing_key");
    }

    [Fact]
    public async Task SafetyReply_AppearsInStaffGeoJson_AndOverSignalR_LatestPerResident()
    {
        using var anonymous = _hub.CreateClient();
        var resident = await Api.RegisterAsync(anonymous, 39.3114, 140.5535);
        var neighbour = await Api.RegisterAsync(anonymous, 39.3200, 140.5600);
        using var admin = _hub.Admin();
        var alertId = (await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 3000 } } })))["id"]!
            .GetValue<string>();

        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        var pushed = new List<JsonObject>();
        await using var staff = _hub.SignalRWithCookie(viewer);
        staff.On<JsonObject>("safetyReply", e => { lock (pushed) { pushed.Add(e); } });
        await staff.StartListeningAsync();

        using var client = ResidentClient(resident);
        await (await client.PostAsJsonAsync($"/api/residents/{resident.Id}/safety", new { status = "fine" })).AssertProblemAsync(400, "safety.invalid");
        await (await client.PostAsJsonAsync($"/api/residents/{resident.Id}/safety", new { status = "safe", alertId = "no-such-alert" }))
            .AssertProblemAsync(400, "safety.invalid");

        var help = await client.PostAsJsonAsync($"/api/residents/{resident.Id}/safety",
            new { status = "need-help", alertId, note = "足が悪く動けません", location = new { lat = 39.3101, lon = 140.5522 } });
        Assert.Equal(HttpStatusCode.Created, help.StatusCode);
        using var neighbourClient = ResidentClient(neighbour);
        Assert.Equal(HttpStatusCode.Created, (await neighbourClient.PostAsJsonAsync($"/api/residents/{neighbour.Id}/safety", new { status = "safe", alertId })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await neighbourClient.PostAsJsonAsync($"/api/residents/{neighbour.Id}/safety", new { status = "need-help" })).StatusCode);

        var collection = await (await viewer.Client.GetAsync($"/api/safety?alertId={alertId}")).JsonAsync();
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        var features = collection["features"]!.AsArray();
        Assert.Equal(2, features.Count);
        var mine = features.Single(f => f!["properties"]!["residentId"]!.GetValue<string>() == resident.Id.ToString())!;
        Assert.Equal("Point", mine["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal([140.5522, 39.3101], mine["geometry"]!["coordinates"]!.AsArray().Select(c => c!.GetValue<double>()));
        Assert.Equal("need-help", mine["properties"]!["status"]!.GetValue<string>());
        Assert.Equal("足が悪く動けません", mine["properties"]!["note"]!.GetValue<string>());
        Assert.Equal("reply", mine["properties"]!["positionSource"]!.GetValue<string>());
        var theirs = features.Single(f => f!["properties"]!["residentId"]!.GetValue<string>() == neighbour.Id.ToString())!;
        Assert.Equal("safe", theirs["properties"]!["status"]!.GetValue<string>());
        Assert.Equal("place", theirs["properties"]!["positionSource"]!.GetValue<string>());
        Assert.Equal([140.56, 39.32], theirs["geometry"]!["coordinates"]!.AsArray().Select(c => c!.GetValue<double>()));

        // Without the filter each resident's latest reply counts: the neighbour's later need-help.
        var all = (await (await viewer.Client.GetAsync("/api/safety")).JsonAsync())["features"]!.AsArray();
        Assert.Equal("need-help", all.Single(f => f!["properties"]!["residentId"]!.GetValue<string>() == neighbour.Id.ToString())!["properties"]!["status"]!.GetValue<string>());

        for (var i = 0; i < 100 && pushed.Count < 3; i++)
        {
            await Task.Delay(50);
        }

        lock (pushed)
        {
            Assert.Equal(3, pushed.Count);
            Assert.Equal("need-help", pushed[0]["properties"]!["status"]!.GetValue<string>());
            Assert.Equal(resident.Id.ToString(), pushed[0]["properties"]!["residentId"]!.GetValue<string>());
        }

        // A resident who deletes their registration takes their replies along.
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/residents/{resident.Id}")).StatusCode);
        var remaining = (await (await viewer.Client.GetAsync($"/api/safety?alertId={alertId}")).JsonAsync())["features"]!.AsArray();
        Assert.DoesNotContain(remaining, f => f!["properties"]!["residentId"]!.GetValue<string>() == resident.Id.ToString());
    }
}
