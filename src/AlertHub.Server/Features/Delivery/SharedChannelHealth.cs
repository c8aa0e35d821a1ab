using AlertHub.Core.Cluster;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Health;

namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// Channel health across nodes: a revoked LINE token or a refused FCM service account is found by whichever node sends
/// next, while staff may be looking at another node's dashboard. Every couple of seconds this node writes what its
/// channels report (<see cref="IChannelHealth.Problem"/>) to the shared store when it has changed, and
/// <c>GET /api/channels</c> shows the other live nodes' problems beside its own. On one node (no shared store) it does
/// nothing: the channels' own reports are the whole truth.
/// </summary>
internal sealed partial class SharedChannelHealth(ChannelRegistry channels, ClusterNode node, HealthState health, TimeProvider time,
    ILogger<SharedChannelHealth> logger, IChannelProblemStore? store = null) : BackgroundService
{
    /// <summary>How often this node's problems are compared with what it last wrote.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();
    private readonly Dictionary<string, string?> _written = new(StringComparer.Ordinal);

    /// <summary>What other live nodes say is wrong with each channel, e.g. <c>node-b: LINE refused the channel access token …</c>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ElsewhereAsync(CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return None;
        }

        var problems = await store.ListLiveAsync(cancellationToken);
        return problems.Where(p => p.NodeId != node.Id)
            .GroupBy(p => p.Channel, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join(" / ", g.Select(p => $"{p.NodeName}: {p.Problem}")), StringComparer.Ordinal);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is null)
        {
            return;
        }

        await health.WaitForStoreAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                await WriteChangesAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // A node that stops has no problems left to report; a node that dies drops out with its membership.
            await ClearAsync();
        }
    }

    private async Task WriteChangesAsync(CancellationToken cancellationToken)
    {
        foreach (var channel in channels.All)
        {
            var problem = (channel as IChannelHealth)?.Problem;
            if (_written.TryGetValue(channel.Name, out var written) ? written == problem : problem is null)
            {
                continue;
            }

            try
            {
                await store!.SetAsync(node, channel.Name, problem, cancellationToken);
                _written[channel.Name] = problem;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Tried again at the next tick: the channel's own node still reports it meanwhile.
                LogWriteFailed(logger, channel.Name, e);
            }
        }
    }

    private async Task ClearAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        foreach (var (channel, problem) in _written)
        {
            if (problem is null)
            {
                continue;
            }

            try
            {
                await store!.SetAsync(node, channel, null, timeout.Token);
            }
            catch (Exception e)
            {
                LogWriteFailed(logger, channel, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not share channel {Channel}'s health with the other nodes")]
    private static partial void LogWriteFailed(ILogger logger, string channel, Exception exception);
}
