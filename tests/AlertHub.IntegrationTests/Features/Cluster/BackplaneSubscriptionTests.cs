using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Cluster;
using AlertHub.Tests.Shared.Servers;
using StackExchange.Redis;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// The SignalR backplane's server, as the hub follows it (a real redis-server): a group send goes out through Redis even to
/// residents connected to the sending node, so a node whose backplane does not listen where the cluster's Redis now is
/// holds its SignalR sends rather than publish into nothing.
/// </summary>
public sealed class BackplaneSubscriptionTests
{
    [RedisFact]
    public async Task Backplane_NamesItsServer_LagsBehindAnotherOne_AndOnceItsServerDies()
    {
        var redis = await RedisServer.StartAsync();
        var other = await RedisServer.StartAsync();
        var redisStopped = false;
        try
        {
            var backplane = new BackplaneSubscription();
            // Before the backplane is first used (it connects on first use) nothing lags.
            Assert.False(backplane.LagsBehind($"127.0.0.1:{other.Port}"));

            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
            var changes = 0;
            backplane.Changed += () => Interlocked.Increment(ref changes);
            await backplane.TrackAsync(connection);

            var runId = (string?)await connection.GetDatabase().ScriptEvaluateAsync(BackplaneSubscription.RunIdScript);
            Assert.Equal(runId, backplane.RunId);
            Assert.Equal(1, Volatile.Read(ref changes));
            Assert.False(backplane.LagsBehind($"127.0.0.1:{redis.Port}"));
            Assert.True(backplane.LagsBehind($"127.0.0.1:{other.Port}"));

            // Its server dies: it listens nowhere, whatever the other connection thinks the primary is.
            await redis.DisposeAsync();
            redisStopped = true;
            await Eventually.UntilAsync(() => Task.FromResult(backplane.RunId is null), TimeSpan.FromSeconds(10), "the backplane noticing its server died");
            Assert.True(backplane.LagsBehind($"127.0.0.1:{redis.Port}"));
            Assert.True(backplane.LagsBehind(null));
            Assert.Equal(2, Volatile.Read(ref changes));
        }
        finally
        {
            if (!redisStopped)
            {
                await redis.DisposeAsync();
            }

            await other.DisposeAsync();
        }
    }
}
