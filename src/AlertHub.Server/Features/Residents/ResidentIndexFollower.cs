using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Health;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Residents;

/// <summary>
/// Keeps this node's targeting index in step with resident changes made on other nodes (a shared store only): applies the
/// store's change feed (<see cref="IResidentChangeFeed"/>) after the last change it applied — when a change is notified
/// (<see cref="ClusterTopics.Residents"/>), after a resync, and every <see cref="ClusterEventsOptions.CatchUpInterval"/> in
/// case a notification was lost. Applying a change re-reads the resident as they are now, so changes applied twice or out
/// of order do no harm.
/// </summary>
internal sealed partial class ResidentIndexFollower : BackgroundService, IStartupStep
{
    private const int BatchSize = 2000;

    /// <summary>How long deletions stay in the feed; a node further behind than this has been restarted long since.</summary>
    private static readonly TimeSpan DeletionRetention = TimeSpan.FromDays(7);

    private readonly ResidentIndex _index;
    private readonly ResidentIndexSync _sync;
    private readonly ResidentStore _residents;
    private readonly IResidentChangeFeed? _feed;
    private readonly HealthState _health;
    private readonly IOptions<ClusterEventsOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ResidentIndexFollower> _logger;
    private readonly CoalescingRefresh _catchUp;
    private long _applied = -1;
    private volatile bool _following;

    private readonly ClusterNode? _node;

    public ResidentIndexFollower(ResidentIndexSync sync, ResidentStore residents, IClusterEvents cluster, HealthState health,
        IOptions<ClusterEventsOptions> options, TimeProvider time, ILogger<ResidentIndexFollower> logger, IResidentChangeFeed? feed = null,
        ClusterNode? node = null)
    {
        _node = node;
        _sync = sync;
        _index = sync.Index;
        _residents = residents;
        _feed = feed;
        _health = health;
        _options = options;
        _time = time;
        _logger = logger;
        _catchUp = new CoalescingRefresh(CatchUpAsync, e => LogCatchUpFailed(logger, e));
        if (feed is not null)
        {
            cluster.Subscribe(ClusterTopics.Residents, OnClusterEvent);
        }
    }

    /// <summary>The number of the last change this node's index has applied (−1 before the first load).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Also told to the cluster with the next heartbeat (<see cref="ClusterNode.IndexApplied"/>), for <c>GET /api/cluster</c>.</summary>
    private void SetApplied(long sequence)
    {
        Interlocked.Exchange(ref _applied, sequence);
        if (_node is not null)
        {
            _node.IndexApplied = sequence;
        }
    }

    /// <summary>Just before the targeting index loads in full (300): whatever commits after this is applied after the load.</summary>
    public int Order => 290;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_feed is not null)
        {
            SetApplied(await _feed.LatestAsync(cancellationToken));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_feed is null)
        {
            return;
        }

        try
        {
            // Not before the full load is done: a change applied during it could be overwritten by the older copy it streams.
            await _health.WaitForStoreAsync(stoppingToken);
            _following = true;
            var forgotten = _time.GetUtcNow();
            while (!stoppingToken.IsCancellationRequested)
            {
                await _catchUp.Request();
                if (_time.GetUtcNow() - forgotten > TimeSpan.FromHours(1))
                {
                    forgotten = _time.GetUtcNow();
                    await ForgetOldDeletionsAsync(stoppingToken);
                }

                await Task.Delay(_options.Value.CatchUpInterval, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void OnClusterEvent(ClusterEvent e)
    {
        if (!_following)
        {
            return;
        }

        // The payload is the newest change number in the notifying transaction: nothing to do if it is applied already.
        if (!e.IsResync && long.TryParse(e.Payload, System.Globalization.CultureInfo.InvariantCulture, out var sequence) && sequence <= Applied)
        {
            return;
        }

        _ = _catchUp.Request();
    }

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            IReadOnlyList<ResidentChangeEntry> changes;
            await _sync.Gate.WaitAsync(cancellationToken);
            try
            {
                changes = await _feed!.ReadAfterAsync(Applied, BatchSize, cancellationToken);
                await ApplyAsync(changes, cancellationToken);
            }
            finally
            {
                _sync.Gate.Release();
            }

            if (changes.Count == 0)
            {
                return;
            }

            SetApplied(changes[^1].Sequence);
            LogApplied(_logger, changes.Count, changes[^1].Sequence);
            if (changes.Count < BatchSize)
            {
                return;
            }
        }
    }

    /// <summary>Each changed resident as the store has them now (with their live location); those gone leave the index.</summary>
    private async Task ApplyAsync(IReadOnlyList<ResidentChangeEntry> changes, CancellationToken cancellationToken)
    {
        var present = changes.Where(c => !c.Deleted).ToDictionary(c => c.ResidentId);
        var found = new HashSet<Guid>();
        await foreach (var profile in present.Count == 0 ? AsyncEnumerable.Empty<ResidentProfile>() : _residents.ReadProfilesAsync(present.Keys, cancellationToken))
        {
            _index.Upsert(profile);
            found.Add(profile.Id);
            if (present[profile.Id].Location is { } l)
            {
                _index.SetCurrentLocation(profile.Id, l.Lat, l.Lon, l.ExpiresAt);
            }
            else
            {
                _index.ClearCurrentLocation(profile.Id);
            }
        }

        // Deleted, or deleted between reading the feed and reading the profiles (its tombstone comes in a later batch).
        foreach (var id in changes.Select(c => c.ResidentId).Where(id => !found.Contains(id)))
        {
            _index.Remove(id);
        }
    }

    private async Task ForgetOldDeletionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _feed!.ForgetDeletionsAsync(_time.GetUtcNow() - DeletionRetention, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCatchUpFailed(_logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Targeting index: applied {Count} resident changes up to {Sequence}")]
    private static partial void LogApplied(ILogger logger, int count, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Targeting index: catching up with resident changes failed; retrying at the next check")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception);
}
