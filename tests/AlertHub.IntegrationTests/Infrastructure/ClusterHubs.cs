using AlertHub.IntegrationTests.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>A test that needs PostgreSQL: skips locally without it (with the apt line), never under CI.</summary>
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = PostgresServer.SkipReason;
    }
}

/// <summary>
/// Several in-process hubs sharing one new PostgreSQL database: the nodes of one cluster as far as the store is concerned,
/// each with its own data directory and node name (<c>node-a</c>, <c>node-b</c>, …). Extra settings apply to every node;
/// <c>servicesOf</c> may give a node (by index) services of its own, e.g. <see cref="ClaimsWithheld"/>.
/// For kill -9, start the nodes as their own processes instead (mobile-sim's <c>HubProcess</c>).
/// </summary>
internal sealed class ClusterHubs : IDisposable
{
    private ClusterHubs(string connectionString, IReadOnlyList<HubFactory> nodes)
    {
        ConnectionString = connectionString;
        Nodes = nodes;
    }

    public string ConnectionString { get; }

    public IReadOnlyList<HubFactory> Nodes { get; }

    public HubFactory this[int index] => Nodes[index];

    public static async Task<ClusterHubs> StartAsync(int nodes, Dictionary<string, string?>? settings = null,
        Func<int, Action<IServiceCollection>?>? servicesOf = null)
    {
        var connectionString = await PostgresServer.NewDatabaseAsync();
        var started = new List<HubFactory>();
        for (var i = 0; i < nodes; i++)
        {
            var all = new Dictionary<string, string?>
            {
                ["Storage:Engine"] = "postgres",
                ["ConnectionStrings:AlertHub"] = connectionString,
                ["Cluster:NodeName"] = $"node-{(char)('a' + i)}",
            };
            foreach (var (key, value) in settings ?? [])
            {
                all[key] = value;
            }

            var hub = new HubFactory(settings: all, services: servicesOf?.Invoke(i));
            started.Add(hub);
            await hub.WaitReadyAsync();
        }

        return new ClusterHubs(connectionString, started);
    }

    public void Dispose()
    {
        foreach (var hub in Nodes)
        {
            hub.Dispose();
        }
    }
}
