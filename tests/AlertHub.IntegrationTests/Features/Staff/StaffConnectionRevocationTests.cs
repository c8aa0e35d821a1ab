using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features.Staff;

/// <summary>
/// Staff connections hear drafts and 安否 notes with locations: they end with the credential they came with — a
/// revoked key, a disabled or deleted user, a signed-out or expired session — and hear nothing after that.
/// </summary>
public sealed class StaffConnectionRevocationTests
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 1000 } } };

    [Fact]
    public async Task StaffConnection_KeyRevoked_IsClosedBeforeTheRevocationAnswersAndHearsNothingMore()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var created = await (await admin.PostAsJsonAsync("/api/keys", new { name = "night shift viewer", role = "viewer" })).JsonAsync();
        var watch = await WatchAsync(hub.SignalR(created["key"]!.GetValue<string>()));
        await IssueAndHearAsync(admin, watch);

        Assert.Equal(204, (int)(await admin.DeleteAsync($"/api/keys/{created["id"]!.GetValue<string>()}")).StatusCode);

        await watch.AssertClosedAndDeafAsync(admin);
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("delete")]
    [InlineData("sign-out")]
    [InlineData("password")]
    public async Task StaffConnection_SessionCredentialEnds_IsClosedAndHearsNothingMore(string how)
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        using var viewer = await hub.SignInAsStaffAsync("viewer");
        var watch = await WatchAsync(hub.SignalRWithCookie(viewer));
        await IssueAndHearAsync(admin, watch);

        var response = how switch
        {
            "disable" => await admin.PutAsJsonAsync($"/api/staff/users/{viewer.Username}", new { disabled = true }),
            "delete" => await admin.DeleteAsync($"/api/staff/users/{viewer.Username}"),
            "sign-out" => await viewer.Client.DeleteAsync("/api/staff/session"),
            _ => await admin.PutAsJsonAsync($"/api/staff/users/{viewer.Username}", new { password = "a completely new passphrase 42" }),
        };
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        await watch.AssertClosedAndDeafAsync(admin);
    }

    [Fact]
    public async Task StaffConnection_SessionReachesItsMaximumLifetime_IsClosed()
    {
        using var hub = new HubFactory(settings: new()
        {
            // Long enough that a loaded CI machine signs in, connects and hears one alert inside it.
            ["Staff:SessionMaxLifetime"] = "00:00:12",
            ["Staff:ConnectionRecheckInterval"] = "00:00:00.500",
        });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        using var viewer = await hub.SignInAsStaffAsync("viewer");
        var watch = await WatchAsync(hub.SignalRWithCookie(viewer));
        await IssueAndHearAsync(admin, watch);

        Assert.True(await Task.WhenAny(watch.Closed.Task, Task.Delay(TimeSpan.FromSeconds(30))) == watch.Closed.Task, "still connected after the session's lifetime");
        await watch.AssertClosedAndDeafAsync(admin);
    }

    [Fact]
    public async Task StaffConnection_OtherStaffKeepListening_WhenOneKeyIsRevoked()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var revoked = await (await admin.PostAsJsonAsync("/api/keys", new { name = "to revoke", role = "viewer" })).JsonAsync();
        var kept = await WatchAsync(hub.SignalR(await hub.CreateKeyAsync("viewer")));
        var gone = await WatchAsync(hub.SignalR(revoked["key"]!.GetValue<string>()));

        await admin.DeleteAsync($"/api/keys/{revoked["id"]!.GetValue<string>()}");
        await IssueAndHearAsync(admin, kept);

        // The server closed it before the revocation answered; the client raises Closed when it reads that, a moment later.
        Assert.True(await Task.WhenAny(gone.Closed.Task, Task.Delay(TimeSpan.FromSeconds(10))) == gone.Closed.Task, "the revoked connection is still open");
        Assert.Equal(HubConnectionState.Connected, kept.Connection.State);
    }

    private static async Task<Watch> WatchAsync(HubConnection connection)
    {
        var watch = new Watch(connection);
        connection.On<JsonObject>("alertIssued", a => { lock (watch.Heard) { watch.Heard.Add(a["id"]!.GetValue<string>()); } });
        connection.Closed += _ =>
        {
            watch.Closed.TrySetResult();
            return Task.CompletedTask;
        };
        await connection.StartListeningAsync();
        return watch;
    }

    private static async Task<string> IssueAndHearAsync(HttpClient admin, Watch watch)
    {
        var id = (await Api.IssueAsync(admin, Api.ExerciseAlert(Here)))["id"]!.GetValue<string>();
        for (var i = 0; i < 100 && !watch.HeardAlert(id); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(watch.HeardAlert(id), "the staff connection did not hear the alert it should");
        return id;
    }

    private sealed record Watch(HubConnection Connection)
    {
        public List<string> Heard { get; } = [];

        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool HeardAlert(string id)
        {
            lock (Heard)
            {
                return Heard.Contains(id);
            }
        }

        public async Task AssertClosedAndDeafAsync(HttpClient admin)
        {
            // The server ends the connection; the client notices at its next poll.
            Assert.True(await Task.WhenAny(Closed.Task, Task.Delay(TimeSpan.FromSeconds(10))) == Closed.Task, "the staff connection is still open");
            var after = (await Api.IssueAsync(admin, Api.ExerciseAlert(Here)))["id"]!.GetValue<string>();
            await Task.Delay(500);
            Assert.False(HeardAlert(after), "a closed staff connection heard a later alert");
            await Connection.DisposeAsync();
        }
    }
}
