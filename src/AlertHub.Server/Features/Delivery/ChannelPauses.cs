using System.Collections.Concurrent;
using System.Globalization;
using AlertHub.Core.Cluster;

namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// Pauses a provider asked for ("come back in 60 s"), shared by every node: a project's FCM quota is one quota however
/// many nodes spend it, so a node that is told to stop tells the others (<see cref="ClusterTopics.ChannelPauses"/>), and
/// none of them keeps sending into refusals. The notice carries the pause's length, not its end, so the nodes' clocks do
/// not matter. On one node it is simply this process's memory.
/// </summary>
internal sealed partial class ChannelPauses : IDisposable
{
    private readonly ConcurrentDictionary<string, long> _pausedUntilMs = new(StringComparer.Ordinal);
    private readonly IClusterEvents _cluster;
    private readonly TimeProvider _time;
    private readonly ILogger<ChannelPauses> _logger;
    private readonly IDisposable _subscription;

    public ChannelPauses(IClusterEvents cluster, TimeProvider time, ILogger<ChannelPauses> logger)
    {
        _cluster = cluster;
        _time = time;
        _logger = logger;
        _subscription = cluster.Subscribe(ClusterTopics.ChannelPauses, OnNotice);
    }

    /// <summary>How much longer <paramref name="channel"/> is paused, or null when it may send.</summary>
    public TimeSpan? PausedFor(string channel)
    {
        var left = _pausedUntilMs.GetValueOrDefault(channel) - Now();
        return left > 0 ? TimeSpan.FromMilliseconds(left) : null;
    }

    /// <summary>
    /// Pauses <paramref name="channel"/> on every node for <paramref name="pause"/> (a shorter pause never shortens a
    /// longer one). True when this lengthened the pause; the other nodes are told then, not for every refused item.
    /// </summary>
    public bool Pause(string channel, TimeSpan pause)
    {
        if (!Extend(channel, pause))
        {
            return false;
        }

        LogPaused(_logger, channel, pause.TotalSeconds);
        var payload = string.Create(CultureInfo.InvariantCulture, $"{channel}|{(long)pause.TotalMilliseconds}");
        _ = PublishAsync(payload);
        return true;
    }

    public void Dispose() => _subscription.Dispose();

    private async Task PublishAsync(string payload)
    {
        try
        {
            await _cluster.PublishAsync(ClusterTopics.ChannelPauses, payload, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The other nodes then learn it from the provider themselves, as before.
            LogPublishFailed(_logger, payload, e);
        }
    }

    private void OnNotice(ClusterEvent e)
    {
        if (e.FromThisNode || e.IsResync)
        {
            return;
        }

        var parts = e.Payload.Split('|');
        if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            && Extend(parts[0], TimeSpan.FromMilliseconds(Math.Min(ms, (long)TimeSpan.FromHours(1).TotalMilliseconds))))
        {
            LogPausedByPeer(_logger, parts[0], ms / 1000.0);
        }
    }

    private bool Extend(string channel, TimeSpan pause)
    {
        var until = Now() + (long)pause.TotalMilliseconds;
        while (true)
        {
            var seen = _pausedUntilMs.GetValueOrDefault(channel);
            if (seen >= until)
            {
                return false;
            }

            if (seen == 0 ? _pausedUntilMs.TryAdd(channel, until) : _pausedUntilMs.TryUpdate(channel, until, seen))
            {
                return true;
            }
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel} paused for {Seconds} s at the provider's request (every node pauses)")]
    private static partial void LogPaused(ILogger logger, string channel, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel} paused for {Seconds} s: another node was asked to by the provider")]
    private static partial void LogPausedByPeer(ILogger logger, string channel, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other nodes about a channel pause ({Payload})")]
    private static partial void LogPublishFailed(ILogger logger, string payload, Exception exception);
}
