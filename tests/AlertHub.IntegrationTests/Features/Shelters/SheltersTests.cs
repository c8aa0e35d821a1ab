using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features.Shelters;

public sealed class SheltersTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new();

    public Task InitializeAsync() => _hub.WaitReadyAsync();

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    private static async Task WaitForAsync(List<JsonObject> events, int count)
    {
        for (var i = 0; i < 100; i++)
        {
            lock (events)
            {
                if (events.Count >= count)
                {
                    return;
                }
            }

            await Task.Delay(50);
        }

        Assert.Fail($"expected {count} shelterStatus events, got {events.Count}");
    }

    [Fact]
    public async Task Shelters_CreatedAndUpdatedByStaff_AreReadableAnonymously_AndPushedToStaffAndResidents()
    {
        using var anonymous = _hub.CreateClient();
        Assert.Empty((await (await anonymous.GetAsync("/api/shelters")).JsonAsync()).AsArray());

        using var issuer = await _hub.SignInAsStaffAsync("issuer");
        var staffEvents = new List<JsonObject>();
        await using var staff = _hub.SignalRWithCookie(issuer);
        staff.On<JsonObject>("shelterStatus", e => { lock (staffEvents) { staffEvents.Add(e); } });
        await staff.StartListeningAsync();
        var resident = await Api.RegisterAsync(anonymous, 39.31, 140.55);
        var residentEvents = new List<JsonObject>();
        await using var residentConnection = await _hub.ConnectResidentAsync(resident, []);
        residentConnection.On<JsonObject>("shelterStatus", e => { lock (residentEvents) { residentEvents.Add(e); } });

        var created = await issuer.Client.PostAsJsonAsync("/api/shelters", new
        {
            id = "yokote-minami-es", name = "横手南小学校", nameEn = "Yokote Minami Elementary School",
            location = new { lat = 39.315847, lon = 140.570981 }, status = "open", capacity = 300, occupancy = 12,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var listed = Assert.Single((await (await anonymous.GetAsync("/api/shelters")).JsonAsync()).AsArray())!;
        Assert.Equal("yokote-minami-es", listed["id"]!.GetValue<string>());
        Assert.Equal("横手南小学校", listed["name"]!.GetValue<string>());
        Assert.Equal("Yokote Minami Elementary School", listed["nameEn"]!.GetValue<string>());
        Assert.Equal(39.315847, listed["location"]!["lat"]!.GetValue<double>());
        Assert.Equal(140.570981, listed["location"]!["lon"]!.GetValue<double>());
        Assert.Equal("open", listed["status"]!.GetValue<string>());
        Assert.Equal(300, listed["capacity"]!.GetValue<int>());
        Assert.Equal(12, listed["occupancy"]!.GetValue<int>());
        Assert.True(listed["updatedAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(-1));

        var updated = await issuer.Client.PutAsJsonAsync("/api/shelters/yokote-minami-es", new { status = "crowded", occupancy = 280 });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var after = await (await anonymous.GetAsync("/api/shelters/yokote-minami-es")).JsonAsync();
        Assert.Equal("crowded", after["status"]!.GetValue<string>());
        Assert.Equal(280, after["occupancy"]!.GetValue<int>());
        Assert.Equal("横手南小学校", after["name"]!.GetValue<string>());

        await WaitForAsync(staffEvents, 2);
        await WaitForAsync(residentEvents, 2);
        lock (residentEvents)
        {
            Assert.Equal(["open", "crowded"], residentEvents.Select(e => e["status"]!.GetValue<string>()));
            Assert.Equal("open", residentEvents[1]["previous"]!.GetValue<string>());
        }

        using var admin = _hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "shelters.update" && e["detail"]!.GetValue<string>().Contains("open → crowded"));

        await (await issuer.Client.DeleteAsync("/api/shelters/yokote-minami-es")).AssertProblemAsync(403, "auth.forbidden");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/shelters/yokote-minami-es")).StatusCode);
        Assert.Empty((await (await anonymous.GetAsync("/api/shelters")).JsonAsync()).AsArray());
        await WaitForAsync(staffEvents, 3);
        lock (staffEvents)
        {
            Assert.True(staffEvents[2]["deleted"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task Shelters_BadInput_IsRefused_AndNothingIsKept()
    {
        using var issuer = await _hub.SignInAsStaffAsync("issuer");
        await (await issuer.Client.PostAsJsonAsync("/api/shelters", new { name = "x", location = new { lat = 39.3, lon = 140.5 }, status = "maybe" }))
            .AssertProblemAsync(400, "shelters.invalid");
        await (await issuer.Client.PostAsJsonAsync("/api/shelters", new { name = "x", location = new { lat = 139.3, lon = 140.5 } }))
            .AssertProblemAsync(400, "shelters.invalid");
        await (await issuer.Client.PostAsJsonAsync("/api/shelters", new { name = "x" })).AssertProblemAsync(400, "shelters.invalid");
        await (await issuer.Client.PostAsJsonAsync("/api/shelters", new { name = "x", location = new { lat = 39.3, lon = 140.5 }, capacity = -1 }))
            .AssertProblemAsync(400, "shelters.invalid");
        await (await issuer.Client.PutAsJsonAsync("/api/shelters/nope", new { status = "open" })).AssertProblemAsync(404, "shelters.not_found");

        var made = await issuer.Client.PostAsJsonAsync("/api/shelters", new { id = "s1", name = "体育館", location = new { lat = 39.3, lon = 140.5 } });
        Assert.Equal("closed", (await made.JsonAsync())["status"]!.GetValue<string>());
        await (await issuer.Client.PostAsJsonAsync("/api/shelters", new { id = "s1", name = "二重", location = new { lat = 39.3, lon = 140.5 } }))
            .AssertProblemAsync(409, "shelters.exists");
        await (await issuer.Client.PutAsJsonAsync("/api/shelters/s1", new { status = "gone" })).AssertProblemAsync(400, "shelters.invalid");

        using var anonymous = _hub.CreateClient();
        var only = Assert.Single((await (await anonymous.GetAsync("/api/shelters")).JsonAsync()).AsArray())!;
        Assert.Equal(("体育館", "closed"), (only["name"]!.GetValue<string>(), only["status"]!.GetValue<string>()));
        await (await anonymous.PostAsJsonAsync("/api/shelters", new { name = "x", location = new { lat = 39.3, lon = 140.5 } })).AssertProblemAsync(401, "auth.missing_key");
        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        await (await viewer.Client.PutAsJsonAsync("/api/shelters/s1", new { status = "open" })).AssertProblemAsync(403, "auth.forbidden");
    }
}
