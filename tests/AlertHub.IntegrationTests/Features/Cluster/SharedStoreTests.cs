using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>Several nodes on one PostgreSQL store see the same data: what one node stores, another serves.</summary>
public sealed class SharedStoreTests
{
    [PostgresFact]
    public async Task AlertIssuedOnOneNode_IsOnTheBoardOfEveryOtherNode()
    {
        using var cluster = await ClusterHubs.StartAsync(2);
        using var a = cluster[0].Admin();
        using var b = cluster[1].Admin();

        var id = (await Api.IssueAsync(a, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 500 } } })))["id"]!.GetValue<string>();

        var onB = await b.GetAsync($"/api/alerts/{id}");
        Assert.Equal(200, (int)onB.StatusCode);
        Assert.Equal(id, (await onB.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["id"]!.GetValue<string>());
    }
}
