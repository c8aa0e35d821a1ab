using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Alerts;

/// <summary>
/// A fan-out above Alerts:QueueInPartsAbove is answered once its first part is queued and the rest follows while the
/// first residents are already being sent to (the thresholds are tiny here so small populations take that path).
/// </summary>
public sealed class QueueingInPartsTests
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } };

    [Fact]
    public async Task Issue_AboveTheThreshold_AnswersWithTheWholeFanOutAndEveryoneGetsItOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(settings: Parts(firstPart: 20, partSize: 30));
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await ImportAsync(admin, receiver, 200);

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var id = issued["id"]!.GetValue<string>();

        Assert.Equal(200, issued["recipients"]!.GetValue<int>());
        Assert.Equal(200, issued["byChannel"]!["webhook"]!.GetValue<int>());
        await receiver.WaitForAsync(r => r.Count >= 200, TimeSpan.FromSeconds(30));
        var alert = await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 200, TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        Assert.Equal(200, receiver.Received.Select(r => r.Path).Distinct().Count());
        Assert.Equal(200, receiver.Received.Count);
        var v1 = alert["versions"]![0]!;
        Assert.Equal(200, v1["recipients"]!.GetValue<int>());
        Assert.Equal(200, v1["delivery"]!["targeted"]!.GetValue<long>());
    }

    [Fact]
    public async Task Update_WhileTheFirstVersionIsStillBeingQueued_DecidesWhoHearsWhatNext()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // One resident per later part: queueing the first version takes hundreds of transactions, and the update lands among them.
        using var hub = new HubFactory(settings: Parts(firstPart: 10, partSize: 1));
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await ImportAsync(admin, receiver, 400);

        var id = (await Api.IssueAsync(admin, Api.ExerciseAlert(Here)))["id"]!.GetValue<string>();
        var update = await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new { severity = "Extreme" });
        Assert.Equal(202, (int)update.StatusCode);
        Assert.Equal(400, (await update.JsonAsync())["recipients"]!.GetValue<int>());
        await receiver.WaitForAsync(r => r.Count(x => x.Json["alert"]!["version"]!.GetValue<int>() == 2) >= 400, TimeSpan.FromSeconds(60));
        await Task.Delay(500);

        var received = receiver.Received.ToList();
        var first = received.Where(r => r.Json["alert"]!["version"]!.GetValue<int>() == 1).ToList();
        var second = received.Where(r => r.Json["alert"]!["version"]!.GetValue<int>() == 2).ToList();
        Assert.True(first.Count < 400, $"the update should land while the first version is still being queued ({first.Count} got it)");
        Assert.Equal(400, second.Select(r => r.Path).Distinct().Count());
        Assert.Equal(second.Count, second.Select(r => r.Path).Distinct().Count());
        foreach (var f in first)
        {
            Assert.True(f.At <= second.Single(s => s.Path == f.Path).StartedAt, $"{f.Path}: the first version arrived after the update");
        }

        var alert = await (await admin.GetAsync($"/api/alerts/{id}")).JsonAsync();
        foreach (var v in alert["versions"]!.AsArray())
        {
            var d = v!["delivery"]!;
            Assert.Equal(d["targeted"]!.GetValue<long>(), d["delivered"]!.GetValue<long>() + d["pending"]!.GetValue<long>() + d["failed"]!.GetValue<long>()
                + d["superseded"]!.GetValue<long>());
        }
    }

    internal static Dictionary<string, string?> Parts(int firstPart, int partSize) => new()
    {
        ["Alerts:QueueInPartsAbove"] = $"{firstPart}",
        ["Alerts:FirstPart"] = $"{firstPart}",
        ["Alerts:PartSize"] = $"{partSize}",
    };

    internal static async Task ImportAsync(HttpClient admin, WebhookReceiver receiver, int count)
    {
        var ndjson = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var secret = $"parts-secret-{i:D6}";
            ndjson.Append("{\"places\":[{\"lat\":39.3,\"lon\":140.55}],\"endpoints\":[{\"channel\":\"webhook\",\"address\":\"")
                .Append(receiver.Url($"r{i}", secret)).Append("\",\"secret\":\"").Append(secret).Append("\"}]}\n");
        }

        var import = await (await admin.PostAsync("/api/residents/import", HttpJson.Raw(ndjson.ToString(), "application/x-ndjson"))).JsonAsync();
        Assert.Equal(count, import["accepted"]!.GetValue<int>());
    }
}
