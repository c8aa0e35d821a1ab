using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Staff;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Staff;

/// <summary>Sign-in under parallel load: the lockout holds for a burst, and hashing cannot take the machine.</summary>
public sealed class SignInBurstTests
{
    [Fact]
    public async Task SignIn_FortyParallelWrongPasswords_ChecksAtMostTheLimit_ThenRefusesTheRightPassword()
    {
        using var hub = new HubFactory(settings: new() { ["Staff:MaxFailures"] = "5" });
        await hub.WaitReadyAsync();
        var username = await hub.CreateStaffUserAsync(["issuer"], "burst-target");
        var hashesBefore = hub.Services.GetRequiredService<PasswordHashGate>().Completed;

        using var client = hub.CreateClient();
        var burst = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            client.PostAsJsonAsync("/api/staff/session", new { username, password = $"wrong guess {i}" })));
        var statuses = burst.Select(r => (int)r.StatusCode).ToList();
        Assert.All(statuses, s => Assert.True(s is 401 or 429, $"status {s}"));

        var right = await client.PostAsJsonAsync("/api/staff/session", new { username, password = StaffSessions.DefaultPassword });
        await right.AssertProblemAsync(429, "auth.locked_out");
        Assert.True(right.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.False(right.Headers.Contains("Set-Cookie"));

        using var admin = hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit?limit=500")).JsonAsync()).AsArray();
        var checkedFailures = audit.Count(e => e!["action"]!.GetValue<string>() == "staff.signin.failure" && e["target"]!.GetValue<string>() == username);
        Assert.True(checkedFailures <= 5, $"{checkedFailures} wrong passwords were checked against a limit of 5");
        Assert.Equal(5, checkedFailures);
        Assert.Equal(5, hub.Services.GetRequiredService<PasswordHashGate>().Completed - hashesBefore);
        // Four wrong passwords answered 401, the fifth locked (429); the other 35 were refused without a check.
        Assert.Equal(4, statuses.Count(s => s == 401));
    }

    [Fact]
    public async Task SignIn_BurstOfUnknownUsers_KeepsTheStaffApiAnswering_AndHashesWithinTheBound()
    {
        using var hub = new HubFactory(settings: new()
        {
            ["Staff:MaxConcurrentHashes"] = "1",
            ["Staff:MaxQueuedHashes"] = "4",
            // Every request here comes from one test client; the per-client lock would hide the hashing load this is about.
            ["Staff:MaxFailuresPerClient"] = "0",
        });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/alerts")).StatusCode);

        using var attacker = hub.CreateClient();
        var burst = Enumerable.Range(0, 120)
            .Select(i => Task.Run(() => attacker.PostAsJsonAsync("/api/staff/session", new { username = $"nobody-{i}", password = "spray spray spray" })))
            .ToList();

        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(100);
            var started = Stopwatch.GetTimestamp();
            var response = await admin.GetAsync("/api/alerts");
            var took = Stopwatch.GetElapsedTime(started);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            slowest = took > slowest ? took : slowest;
        }

        var answers = await Task.WhenAll(burst);
        var gate = hub.Services.GetRequiredService<PasswordHashGate>();

        // The bound is what this asserts exactly; the latency bound is generous for a loaded 2-core machine.
        Assert.Equal(1, gate.PeakConcurrency);
        Assert.True(slowest < TimeSpan.FromSeconds(3), $"the staff API took {slowest.TotalMilliseconds:0} ms during the burst");
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.ServiceUnavailable, $"{a.StatusCode}"));
        var busy = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(busy);
        await busy[0].AssertProblemAsync(503, "auth.signin_busy");
        Assert.True(busy[0].Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.True(gate.Completed < 120, $"{gate.Completed} hashes for 120 sign-ins: the queue did not bound the work");
    }
}
