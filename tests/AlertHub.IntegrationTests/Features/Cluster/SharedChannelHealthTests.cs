using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.IntegrationTests.Storage;
using AlertHub.MobileSim.Peers.Line;
using AlertHub.MobileSim.Report;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// A channel problem no retry fixes (LINE refusing the channel access token) is found by whichever node sends next;
/// staff looking at any node's channel list see it, and see it go once the channel works again.
/// </summary>
public sealed class SharedChannelHealthTests
{
    private const double Lat = 39.3114;
    private const double Lon = 140.5535;

    [PostgresFact]
    public async Task LineRefusesTheTokenOnOneNode_EveryNodeShowsTheProblem_UntilLineAcceptsAgain()
    {
        await using var line = new FakeLine(new ReceiptLog());
        await line.StartAsync();
        var connectionString = await PostgresServer.NewDatabaseAsync();
        // Only node A sends; node B, where staff look, never meets LINE itself.
        using var a = await StartNodeAsync(connectionString, "node-a", line);
        using var b = await StartNodeAsync(connectionString, "node-b", line, services => services.WithoutDeliveryWorkers());
        using var onA = a.CreateClient();
        using var adminA = a.Admin();
        using var adminB = b.Admin();
        var user = line.EndpointFor("health-1").Address!;
        await Api.RegisterAsync(onA, Lat, Lon, endpoints: [new { channel = "line", address = user }]);
        Assert.All(await ProblemsAsync(adminA, adminB), Assert.Null);

        line.FailFor(401, TimeSpan.FromSeconds(8), "Authentication failed. Confirm that the access token in the authorization header is valid.");
        var id = (await Api.IssueAsync(adminA, Api.ExerciseAlert(new { circles = new[] { new { lat = Lat, lon = Lon, radiusMeters = 1000 } } })))["id"]!
            .GetValue<string>();

        // Node A met the 401; node B lists it too, naming the node that did.
        var seen = await Eventually.UntilAsync(() => ProblemsAsync(adminA, adminB), p => p.All(x => x is not null), TimeSpan.FromSeconds(30), "both nodes to show LINE's problem");
        Assert.All(seen, p => Assert.Contains("LINE refused the channel access token", p, StringComparison.Ordinal));
        Assert.StartsWith("node-a: ", seen[1], StringComparison.Ordinal);
        Assert.False((await adminB.GetFromJsonAsync<JsonArray>("/api/channels"))!.Single(c => c!["name"]!.GetValue<string>() == "line")!["healthy"]!.GetValue<bool>());

        // The retry after the refusals ends is delivered, and the problem is gone everywhere.
        await Api.WaitForDeliveryAsync(adminA, id, a => a["delivery"]!["byChannel"]!["line"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync(() => ProblemsAsync(adminA, adminB), p => p.All(x => x is null), TimeSpan.FromSeconds(30), "both nodes to clear LINE's problem");
        Assert.Single(line.DeliveriesTo(user));
    }

    private static async Task<HubFactory> StartNodeAsync(string connectionString, string name, FakeLine line,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>(line.HubSettings)
        {
            ["Storage:Engine"] = "postgres",
            ["ConnectionStrings:AlertHub"] = connectionString,
            ["Cluster:NodeName"] = name,
            ["Delivery:MaxAttempts"] = "20",
        };
        var hub = new HubFactory(settings: settings, services: services);
        await hub.WaitReadyAsync();
        return hub;
    }

    private static async Task<string?[]> ProblemsAsync(params HttpClient[] nodes)
    {
        var problems = new string?[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            var channels = (await nodes[i].GetFromJsonAsync<JsonArray>("/api/channels"))!;
            problems[i] = channels.Single(c => c!["name"]!.GetValue<string>() == "line")!["problem"]?.GetValue<string>();
        }

        return problems;
    }
}
