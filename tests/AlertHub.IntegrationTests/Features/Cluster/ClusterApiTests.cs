using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary><c>GET /api/cluster</c>: staff see which nodes share the store and which are alive.</summary>
public sealed class ClusterApiTests
{
    [Fact]
    public async Task Cluster_OnTheEmbeddedStore_IsThisOneNode_AndOnlyForStaff()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var anonymous = hub.CreateClient();
        Assert.Equal(401, (int)(await anonymous.GetAsync("/api/cluster")).StatusCode);

        using var viewer = hub.WithKey(await hub.CreateKeyAsync("viewer"));
        var cluster = (await viewer.GetFromJsonAsync<JsonObject>("/api/cluster"))!;

        Assert.False(cluster["shared"]!.GetValue<bool>());
        var node = Assert.Single(cluster["nodes"]!.AsArray())!;
        Assert.Equal(cluster["thisNode"]!.GetValue<string>(), node["id"]!.GetValue<string>());
        Assert.Equal("live", node["state"]!.GetValue<string>());
        Assert.True(node["isThisNode"]!.GetValue<bool>());
    }

    [PostgresFact]
    public async Task Cluster_OnASharedStore_EveryNodeSeesEveryNode_AndANodeThatStopsHasLeft()
    {
        using var cluster = await ClusterHubs.StartAsync(3);
        using var a = cluster[0].Admin();
        await WaitAsync(async () => (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!["liveNodes"]!.GetValue<int>() == 3);
        var seen = (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!;
        Assert.True(seen["shared"]!.GetValue<bool>());
        Assert.Equal(["node-a", "node-b", "node-c"], seen["nodes"]!.AsArray().Select(n => n!["name"]!.GetValue<string>()).Order());
        Assert.Single(seen["nodes"]!.AsArray(), n => n!["isThisNode"]!.GetValue<bool>() && n["name"]!.GetValue<string>() == "node-a");

        cluster[2].Dispose();
        await WaitAsync(async () => (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!["nodes"]!.AsArray()
            .Any(n => n!["name"]!.GetValue<string>() == "node-c" && n["state"]!.GetValue<string>() == "left"));
        Assert.Equal(2, (await a.GetFromJsonAsync<JsonObject>("/api/cluster"))!["liveNodes"]!.GetValue<int>());
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.True(await condition(), "the cluster did not reach the expected state within 10 s");
    }
}
