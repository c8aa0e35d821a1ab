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

/// <summary>Two nodes change one alert at the same moment: versions stay one line, each success its own number.</summary>
public sealed class ClusterVersionRaceTests
{
    [PostgresFact]
    public async Task UpdateAndCancel_OnTwoNodesAtOnce_EachSuccessGetsItsOwnVersionAndTheLoserIs409()
    {
        using var cluster = await ClusterHubs.StartAsync(2);
        using var a = cluster[0].Admin();
        using var b = cluster[1].Admin();
        var id = (await Api.IssueAsync(a, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 1000 } } })))["id"]!
            .GetValue<string>();

        for (var round = 0; round < 5; round++)
        {
            var before = await VersionAsync(a, id);
            using var onA = a.PostAsJsonAsync($"/api/alerts/{id}/update", new { severity = "Extreme" });
            using var onB = b.PostAsJsonAsync($"/api/alerts/{id}/update", new { severity = "Severe" });
            var answers = await Task.WhenAll(onA, onB);
            var won = answers.Count(r => r.IsSuccessStatusCode);
            foreach (var lost in answers.Where(r => !r.IsSuccessStatusCode))
            {
                Assert.Equal(409, (int)lost.StatusCode);
                Assert.Equal("alerts.version_conflict", (await lost.JsonAsync())["code"]!.GetValue<string>());
            }

            Assert.InRange(won, 1, 2);
            var versions = new List<int>();
            foreach (var ok in answers.Where(r => r.IsSuccessStatusCode))
            {
                versions.Add((await ok.JsonAsync())["version"]!.GetValue<int>());
            }

            // Both nodes agree on the head, and it moved by exactly the successes, each with its own number.
            Assert.Equal(versions.Count, versions.Distinct().Count());
            Assert.Equal(before + won, await VersionAsync(a, id));
            Assert.Equal(before + won, await VersionAsync(b, id));
        }
    }

    private static async Task<int> VersionAsync(HttpClient client, string id) =>
        (await (await client.GetAsync($"/api/alerts/{id}")).JsonAsync())["version"]!.GetValue<int>();
}
