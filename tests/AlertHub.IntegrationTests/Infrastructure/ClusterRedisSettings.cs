using AlertHub.IntegrationTests.Storage;
using AlertHub.Tests.Shared.Servers;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>A test that needs PostgreSQL and redis-server: skips locally without either (with the apt line), never under CI.</summary>
internal sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        Skip = PostgresServer.SkipReason ?? RedisServer.SkipReason;
    }
}

internal static class ClusterRedisSettings
{
    /// <summary>
    /// Settings that put every node on the test run's redis-server, under a prefix of this test's own, so tests running in
    /// parallel share neither presence, nor limits, nor backplane channels.
    /// </summary>
    public static async Task<Dictionary<string, string?>> ForAsync(Dictionary<string, string?>? more = null)
    {
        var redis = await RedisServer.Shared;
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:Redis"] = redis.Configuration,
            ["Cluster:RedisChannelPrefix"] = "t" + Guid.NewGuid().ToString("N")[..12],
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }
}
