using AlertHub.Core.Cluster;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ClusterNode = AlertHub.Core.Cluster.ClusterNode;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// Residents' presence shared through Redis. Each node keeps one set of the residents it holds live connections for
/// (<c>{prefix}:presence:node:{node id}</c>), with an expiry that a heartbeat renews every third of
/// <see cref="ClusterRedisOptions.RedisPresenceTtl"/>; a node that dies stops counting within that time, one that stops
/// cleanly removes its set at once. <c>{prefix}:presence:nodes</c> lists the nodes, and a query forgets those whose set
/// has expired.
/// </summary>
/// <remarks>
/// <para>
/// Joins and leaves go out at once, in the order they happened (one connection, commands pipelined in order). Any that
/// could not be sent, a restored connection, or a set found missing at a heartbeat make the next heartbeat write the
/// whole set again from this node's own count, so Redis converges on the truth within one heartbeat.
/// </para>
/// <para>
/// After a failover the new primary may lack announcements (replication is asynchronous) and the sets may have expired
/// while the heartbeats failed. A restored connection or a new primary (<see cref="ClusterRedis.Restored"/>) wakes the
/// heartbeat at once to write the whole set; every node does so within about a second of the switch. Until then, and
/// while Redis cannot be reached, <see cref="Incomplete"/> tells senders that "found nowhere" may be wrong.
/// </para>
/// </remarks>
internal sealed partial class RedisPresence : BackgroundService, IClusterPresence
{
    // Adds one resident and renews the node's set, its place in the node list and its stamp (when known), in one round trip.
    private const string JoinScript = """
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[3])
        if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[2]) end
        return 1
        """;

    // For each of ARGV[3..]: 1 when in the set of a live node whose backplane listens on this very server (its stamp
    // ARGV[2]..node is this server's run_id), 2 when only in sets of nodes not (yet) listening here, else 0. Nodes whose set
    // has expired leave the list.
    private const string QueryScript = "local me = " + BackplaneSubscription.RunIdOfThisServer + """

        local found = {}
        for i = 3, #ARGV do found[i - 2] = 0 end
        for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local set = ARGV[1] .. node
          if redis.call('EXISTS', set) == 1 then
            local mark = 2
            if redis.call('GET', ARGV[2] .. node) == me then mark = 1 end
            local flags = redis.call('SMISMEMBER', set, unpack(ARGV, 3))
            for i = 1, #flags do
              if flags[i] == 1 and found[i] ~= 1 then found[i] = mark end
            end
          else
            redis.call('SREM', KEYS[1], node)
          end
        end
        return found
        """;

    // Lua's unpack has a stack limit of a few thousand values.
    private const int QueryChunk = 1000;

    private readonly ClusterRedis _redis;
    private readonly BackplaneSubscription _backplane;
    private readonly ClusterNode _node;
    private readonly ClusterRedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisPresence> _logger;
    private readonly Lock _lock = new();
    private readonly HashSet<Guid> _local = [];
    private volatile bool _dirty = true;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // When the shared view was last found unreachable or came back (TimeProvider ticks); see Incomplete.
    private long _unsettledAt = long.MinValue;
    // When a resident was last found only on nodes whose backplane does not listen on the server asked (TimeProvider ticks).
    private long _unsureAt = long.MinValue;

    /// <summary>How soon to ask again about a resident found only on a node whose backplane has not moved to this server yet:
    /// a backplane settles on a new primary within a few seconds of a failover, and then writes its stamp at once.</summary>
    private static readonly TimeSpan UnsureRetry = TimeSpan.FromSeconds(2);

    public RedisPresence(ClusterRedis redis, BackplaneSubscription backplane, ClusterNode node, IOptions<ClusterRedisOptions> options, TimeProvider time,
        ILogger<RedisPresence> logger)
    {
        _redis = redis;
        _backplane = backplane;
        // The stamp names the server this node's backplane listens on: written again as soon as that changes.
        backplane.Changed += () =>
        {
            _dirty = true;
            Wake();
        };
        _node = node;
        _options = options.Value;
        _time = time;
        _logger = logger;
        redis.Restored += () =>
        {
            _dirty = true;
            Unsettled();
            Wake();
        };
    }

    /// <summary>
    /// How long every node needs to announce its residents again once Redis answers: each writes its whole set within
    /// one heartbeat of noticing (at once after a failover), plus a second for the nodes to notice.
    /// </summary>
    private TimeSpan Settle => (_options.RedisPresenceTtl / 3) + TimeSpan.FromSeconds(1);

    public TimeSpan? Incomplete
    {
        get
        {
            if (_redis.Primary is null)
            {
                return Settle;
            }

            var since = _time.GetElapsedTime(Interlocked.Read(ref _unsettledAt));
            TimeSpan? wait = Interlocked.Read(ref _unsettledAt) != long.MinValue && since < Settle ? Settle - since : null;
            var unsure = _time.GetElapsedTime(Interlocked.Read(ref _unsureAt));
            if (Interlocked.Read(ref _unsureAt) != long.MinValue && unsure < UnsureRetry && (wait is null || wait < UnsureRetry - unsure))
            {
                wait = UnsureRetry - unsure;
            }

            return wait;
        }
    }

    public TimeSpan? BackplaneLagging => _backplane.LagsBehind(_redis.Primary) ? UnsureRetry : null;

    private void Unsettled() => Interlocked.Exchange(ref _unsettledAt, _time.GetTimestamp());

    private void Wake() => Volatile.Read(ref _wake).TrySetResult();

    private RedisKey NodeSet => _redis.Key("presence:node:" + _node.Id);

    private RedisKey Nodes => _redis.Key("presence:nodes");

    /// <summary>The run_id of the server this node's SignalR backplane listens on (see <see cref="BackplaneSubscription"/>).</summary>
    private RedisKey Stamp => _redis.Key("presence:on:" + _node.Id);

    private long TtlMs => (long)_options.RedisPresenceTtl.TotalMilliseconds;

    public void Joined(Guid residentId)
    {
        lock (_lock)
        {
            _local.Add(residentId);
            Send(db => db.ScriptEvaluate(JoinScript, [NodeSet, Nodes, Stamp], [Member(residentId), TtlMs, _node.Id, _backplane.RunId ?? ""], ClusterRedis.OnPrimary | CommandFlags.FireAndForget));
        }
    }

    public void Left(Guid residentId)
    {
        lock (_lock)
        {
            _local.Remove(residentId);
            Send(db => db.SetRemove(NodeSet, Member(residentId), CommandFlags.FireAndForget));
        }
    }

    public async ValueTask<IReadOnlySet<Guid>> ConnectedAnywhereAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken)
    {
        var connected = new HashSet<Guid>();
        if (residentIds.Count == 0)
        {
            return connected;
        }

        try
        {
            var db = await _redis.DatabaseAsync();
            foreach (var chunk in residentIds.Distinct().Chunk(QueryChunk))
            {
                var args = new RedisValue[chunk.Length + 2];
                args[0] = _redis.KeyPrefix + "presence:node:";
                args[1] = _redis.KeyPrefix + "presence:on:";
                for (var i = 0; i < chunk.Length; i++)
                {
                    args[i + 2] = Member(chunk[i]);
                }

                var flags = (RedisResult[])(await db.ScriptEvaluateAsync(QueryScript, [Nodes], args, ClusterRedis.OnPrimary))!;
                for (var i = 0; i < chunk.Length; i++)
                {
                    switch ((long)flags[i])
                    {
                        case 1:
                            connected.Add(chunk[i]);
                            break;
                        case 2:
                            // Connected to a node whose backplane does not listen on this server yet (a failover moved the
                            // announcement before the subscription): a send now would be lost, so the sender asks again.
                            Interlocked.Exchange(ref _unsureAt, _time.GetTimestamp());
                            break;
                    }
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Incomplete tells the sender to ask again soon rather than leave residents on other nodes waiting as offline.
            Unsettled();
            LogQueryFailed(_logger, e);
            connected.Clear();
        }

        return connected;
    }

    public async ValueTask<IReadOnlySet<string>> WithoutSubscriberAsync(IReadOnlyCollection<string> channels, CancellationToken cancellationToken)
    {
        var without = new HashSet<string>(StringComparer.Ordinal);
        if (channels.Count == 0)
        {
            return without;
        }

        try
        {
            var db = await _redis.DatabaseAsync();
            foreach (var chunk in channels.Distinct(StringComparer.Ordinal).Chunk(QueryChunk))
            {
                var args = new object[chunk.Length + 1];
                args[0] = "NUMSUB";
                for (var i = 0; i < chunk.Length; i++)
                {
                    args[i + 1] = _options.RedisChannelPrefix + chunk[i];
                }

                // On the primary, where this node's presence and every settled backplane are: channel, count, channel, count, …
                var reply = (RedisResult[])(await db.ExecuteAsync("PUBSUB", args, ClusterRedis.OnPrimary))!;
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (2 * i + 1 >= reply.Length || (long)reply[2 * i + 1] == 0)
                    {
                        without.Add(chunk[i]);
                    }
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Cannot tell: hold them all (the sender asks again shortly) rather than publish where nobody may listen.
            Unsettled();
            LogListenersQueryFailed(_logger, e);
            without.UnionWith(channels);
        }

        return without;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _options.RedisPresenceTtl / 3;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before the heartbeat, so a wake-up during it is not lost.
            var wake = Volatile.Read(ref _wake);
            _redis.RefreshHealth();
            _backplane.RefreshIfLagging(_redis.Primary);
            try
            {
                await HeartbeatAsync();
                failing = false;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _dirty = true;
                Unsettled();
                // Once per outage, not every few seconds (the connection logs its own loss and return).
                if (!failing)
                {
                    LogHeartbeatFailed(_logger, e);
                }

                failing = true;
            }

            // Woken early when the connection comes back or the primary changes, to write the whole set now; while failing,
            // tried every second so the set is back soon after Redis is.
            using var waited = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(wake.Task, Task.Delay(failing ? TimeSpan.FromSeconds(1) : interval, _time, waited.Token));
            await waited.CancelAsync();
            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
            }
        }
    }

    /// <summary>Renews this node's set, or writes it whole when it may be wrong or missing.</summary>
    private async Task HeartbeatAsync()
    {
        var db = await _redis.DatabaseAsync();
        if (!_dirty)
        {
            int count;
            lock (_lock)
            {
                count = _local.Count;
            }

            await db.SetAddAsync(Nodes, _node.Id);
            await WriteStampAsync(db);
            // An empty set does not exist in Redis, so there is nothing to renew; a missing non-empty one was lost (Redis
            // restarted or failed over, or a heartbeat came too late).
            if (count == 0 || await db.KeyExpireAsync(NodeSet, _options.RedisPresenceTtl))
            {
                return;
            }
        }

        Task write;
        lock (_lock)
        {
            // Cleared before the snapshot: a join or leave that fails after it marks the set dirty again.
            _dirty = false;
            var members = _local.Select(Member).ToArray();
            var transaction = db.CreateTransaction();
            _ = transaction.KeyDeleteAsync(NodeSet);
            foreach (var chunk in members.Chunk(10_000))
            {
                _ = transaction.SetAddAsync(NodeSet, chunk);
            }

            _ = transaction.KeyExpireAsync(NodeSet, _options.RedisPresenceTtl);
            _ = transaction.SetAddAsync(Nodes, _node.Id);
            _ = _backplane.RunId is { } runId ? transaction.StringSetAsync(Stamp, runId, _options.RedisPresenceTtl) : transaction.KeyDeleteAsync(Stamp);
            // Queued under the lock, so no join or leave can be sent between the snapshot and the rewrite.
            write = transaction.ExecuteAsync(ClusterRedis.OnPrimary);
        }

        try
        {
            await write;
        }
        catch
        {
            _dirty = true;
            throw;
        }
    }

    /// <summary>Renews the stamp, or removes it while the backplane listens nowhere known.</summary>
    private Task WriteStampAsync(IDatabase db) => _backplane.RunId is { } runId
        ? db.StringSetAsync(Stamp, runId, _options.RedisPresenceTtl)
        : db.KeyDeleteAsync(Stamp);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // Residents of a node that stops are nowhere until they reconnect elsewhere; do not wait for the expiry.
            var db = await _redis.DatabaseAsync();
            await db.KeyDeleteAsync([NodeSet, Stamp]);
            await db.SetRemoveAsync(Nodes, _node.Id);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogHeartbeatFailed(_logger, e);
        }
    }

    /// <summary>Sends a join or leave without waiting; if it cannot be sent now, the next heartbeat writes the whole set.</summary>
    private void Send(Action<IDatabase> command)
    {
        var db = _redis.DatabaseAsync();
        if (!db.IsCompletedSuccessfully || !_redis.IsConnected)
        {
            _dirty = true;
            return;
        }

        try
        {
            command(db.Result);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            _dirty = true;
        }
    }

    private static RedisValue Member(Guid residentId) => residentId.ToString("N");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask the cluster Redis who is connected; residents on other nodes wait as offline")]
    private static partial void LogQueryFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask the cluster Redis who listens for residents' groups; their SignalR sends wait and are tried again")]
    private static partial void LogListenersQueryFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence heartbeat to the cluster Redis failed; it is written again once Redis answers")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
